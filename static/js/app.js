/* The back office's own behaviour, as a file: the Content-Security-Policy
   (web/security.py) runs no inline script and no inline event handler, so what
   flask-admin's templates did with onclick="…" is bound here. Loaded after
   jQuery and flask-admin's scripts. */
(function ($) {
  'use strict';

  // Bulk actions: each menu item names its action (list_cn.html).
  $(document).on('click', '[data-model-action]', function (event) {
    event.preventDefault();
    window.modelActions.execute($(this).data('model-action'));
  });

  // A button that asks before it acts (deleting a row, for one).
  $(document).on('click', 'button[data-confirm]', function (event) {
    if (!window.confirm($(this).data('confirm'))) {
      event.preventDefault();
    }
  });

  // The filter menu's items are links that open a filter, not pages.
  $(document).on('click', 'a.filter', function (event) {
    event.preventDefault();
  });

  // flask-admin's menus, toggles and pager mark links that go nowhere with
  // href="javascript:void(0)"; following one would run a script URL, which
  // the policy refuses (and reports). They only ever open a menu.
  $(document).on('click', 'a[href^="javascript:"]', function (event) {
    event.preventDefault();
  });

  // "/" goes to the list's search box, as in the tools clerks know; not
  // while typing in a field.
  $(document).on('keydown', function (event) {
    var target = event.target;
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if ($(target).is('input, textarea, select, [contenteditable]')) { return; }
    var search = $('input[name="search"]').first();
    if (search.length) {
      event.preventDefault();
      search.trigger('focus').trigger('select');
    }
  });

  // The server names every refusal at once, in Chinese, beside its field;
  // the browser's own bubbles (one at a time, in the browser's language)
  // would stop the form before it could.
  $(function () {
    $('form.admin-form').attr('novalidate', 'novalidate');
  });

  // The file box names the file chosen (forms/fields.py ChineseFileInput).
  $(document).on('change', 'input.custom-file-input', function () {
    var name = this.files && this.files.length ? this.files[0].name : '未选择文件';
    $(this).siblings('.custom-file-label').text(name);
  });

  // A field shown only with the box it depends on (admin/layout.py): 所属领域
  // with 领域中心. Hidden, it is emptied, so nothing unseen is saved.
  function follow(box) {
    var name = box.attr('name');
    $('.dependent-field[data-shown-with="' + name + '"]').each(function () {
      var shown = box.is(':checked');
      $(this).toggle(shown);
      if (!shown) { $(this).find('select').val('__None').trigger('change'); }
    });
  }
  $(function () {
    $('.dependent-field').each(function () {
      var box = $('input[name="' + $(this).data('shown-with') + '"]');
      follow(box);
      box.on('change', function () { follow(box); });
    });
  });

  // A hint that follows another field (admin/layout.py form_hints): asked
  // of the server whenever that field changes.
  $(function () {
    $('.form-hint[data-hint-url]').each(function () {
      var hint = $(this);
      var source = hint.data('hint-from');
      $(document).on('change', '[name="' + source + '"]', function () {
        var params = {};
        params[source] = $(this).val();
        $.getJSON(hint.data('hint-url'), params, function (answer) { hint.text(answer.text); });
      });
    });
  });

  // + 新建… beside a related record's field opens that record's form in a
  // window of its own; the new record comes back here (popup_created.html).
  $(document).on('click', 'a.related-add', function (event) {
    event.preventDefault();
    window.open(this.href, 'related-add', 'width=960,height=820');
  });
  window.addEventListener('message', function (event) {
    var data = event.data || {};
    if (event.origin !== window.location.origin || data.kind !== 'record-created') { return; }
    var field = $('[name="' + data.field + '"]').first();
    if (field.is('select')) {
      field.append($('<option>').val(data.id).text(data.text));
    } else {
      // flask-admin's lookup (select2 3.5) reads its selection from data-json.
      field.attr('data-json', JSON.stringify([data.id, data.text]));
    }
    field.val(String(data.id)).trigger('change');
  });
  $(function () {
    var created = $('#popup-created');
    if (created.length && window.opener) {
      window.opener.postMessage({kind: 'record-created', field: created.data('field'),
                                 id: created.data('id'), text: String(created.data('text'))},
                                window.location.origin);
      window.close();
    }
  });

  // 打印 buttons (the account notice, details pages, reports).
  $(document).on('click', '[data-print]', function () { window.print(); });
})(window.jQuery);
