/* Chinese in the widgets flask-admin vendors, which speak English by
   themselves: the date pickers (bootstrap-daterangepicker, day and month
   names from moment's zh-cn locale, weeks from Monday) and the select2 3.5
   lookups. Loaded after moment, select2 and static/vendor/moment/zh-cn.js,
   before flask-admin's form.js builds the widgets (on DOM ready). */
(function ($, moment) {
  'use strict';

  moment.locale('zh-cn');

  // select2 3.5.2 has no `language` option: its messages are defaults.
  $.extend($.fn.select2.defaults, {
    formatNoMatches: function () { return '没有找到匹配的记录'; },
    formatInputTooShort: function (input, min) { return '请再输入至少 ' + (min - input.length) + ' 个字'; },
    formatInputTooLong: function (input, max) { return '请删去 ' + (input.length - max) + ' 个字'; },
    formatSelectionTooBig: function (limit) { return '最多只能选择 ' + limit + ' 项'; },
    formatLoadMore: function () { return '正在加载更多……'; },
    formatSearching: function () { return '正在搜索……'; },
    formatAjaxError: function () { return '查询失败，请稍后重试'; },
    formatMatches: function (matches) {
      return matches === 1 ? '找到 1 项，按回车键选择' : '找到 ' + matches + ' 项，可用上下方向键选择';
    }
  });

  // The date pickers: Chinese labels, and a range written 2026-01-01 至
  // 2026-03-31 (the server reads it: admin/filters.py). form.js builds them
  // on DOM ready, after this file's ready handler has wrapped the plugin.
  var CHINESE = {
    applyLabel: '确定', cancelLabel: '取消', fromLabel: '从', toLabel: '至',
    weekLabel: '周', customRangeLabel: '自定义'
  };
  $(function () {
    var build = $.fn.daterangepicker;
    if (!build) { return; }
    $.fn.daterangepicker = function (options, callback) {
      options = $.extend(true, {}, options || {}, {locale: CHINESE});
      if (options.separator === ' to ') { options.separator = ' 至 '; }
      return build.call(this, options, callback);
    };
  });

  // flask-admin's navbar names its narrow-screen menu button in English,
  // outside any template block that could be overridden: what a screen
  // reader says is set here.
  $(function () {
    $('.navbar-toggler').attr('aria-label', '展开或收起导航菜单');
  });

  // A picker closes with Esc, and once a date has been typed in full.
  $(document).on('keydown', 'input', function (event) {
    var picker = $(this).data('daterangepicker');
    if (picker && (event.key === 'Escape' || event.key === 'Enter' || event.key === 'Tab')) {
      picker.hide();
    }
  });
})(window.jQuery, window.moment);
