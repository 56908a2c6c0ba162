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
})(window.jQuery);
