/* The 工作台's charts (Apache ECharts, vendored: static/vendor/echarts).
   The data is in each chart's data-chart attribute (admin/dashboard.py);
   nothing here runs inline, as the Content-Security-Policy asks. */
(function (echarts) {
  'use strict';
  if (!echarts) { return; }

  function draw(id, options) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    var data = JSON.parse(element.getAttribute('data-chart'));
    var chart = echarts.init(element, null, {renderer: 'svg', locale: 'ZH'});
    chart.setOption(options(data));
    window.addEventListener('resize', function () { chart.resize(); });
    return chart;
  }

  var grid = {left: 8, right: 16, top: 40, bottom: 8, containLabel: true};

  draw('chart-states', function (data) {
    return {
      animation: false, grid: grid, tooltip: {trigger: 'axis'},
      // Ten states: the labels slant so that none runs into the next.
      xAxis: {type: 'category', data: data.labels, axisLabel: {interval: 0, rotate: 35, fontSize: 11}},
      yAxis: {type: 'value', name: '项目数'},
      series: [{type: 'bar', name: '项目数', data: data.values, itemStyle: {color: '#2f6fb0'}}]
    };
  });

  draw('chart-months', function (data) {
    return {
      animation: false, grid: grid, tooltip: {trigger: 'axis'},
      legend: {data: ['发放金额（万元）', '项目数'], top: 0},
      xAxis: {type: 'category', data: data.labels, axisLabel: {fontSize: 11}},
      yAxis: [{type: 'value', name: '万元'}, {type: 'value', name: '项目数', splitLine: {show: false}}],
      series: [
        {type: 'bar', name: '发放金额（万元）', data: data.amounts, itemStyle: {color: '#3c8d5a'}},
        {type: 'line', name: '项目数', yAxisIndex: 1, data: data.counts, itemStyle: {color: '#b06b2f'}}
      ]
    };
  });

  draw('chart-behind', function (rows) {
    rows = rows.slice().reverse();
    return {
      animation: false, grid: grid, tooltip: {trigger: 'axis'},
      legend: {data: ['已举办', '承诺'], top: 0},
      xAxis: {type: 'value', name: '次'},
      yAxis: {type: 'category', data: rows.map(function (r) { return r.name; }),
              axisLabel: {fontSize: 11, width: 160, overflow: 'truncate'}},
      series: [
        {type: 'bar', name: '已举办', data: rows.map(function (r) { return r.held; }), itemStyle: {color: '#b03a2e'}},
        {type: 'bar', name: '承诺', data: rows.map(function (r) { return r.promised; }), itemStyle: {color: '#ced4da'}}
      ]
    };
  });
})(window.echarts);
