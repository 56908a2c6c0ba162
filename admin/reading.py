"""The fast read path of every list: the rows the user may see, searched
and filtered, counted up to a bound, and the page read by a deferred join;
plain text searches answered from the gram index (program/search.py)."""
import urllib.parse

from flask import abort, flash, g
from peewee import JOIN

import compat
from program import search as searching

# Past this many matches a list says 超过 10,000 条 instead of counting on.
# A text search says 超过 200 条: its newest 201 matches are read in the one
# query that also gives its first pages, at about the cost of the page itself
# (PostgreSQL's GIN index cannot stop early, so counting to 1,000 there cost
# five times the page).
COUNT_BOUND = 10_000
SEARCH_COUNT_BOUND = 200
# Deeper than any clerk pages (and a 30-digit page number never becomes an
# OFFSET the database cannot take).
MAX_PAGE = 100_000


def bounded_count(query, bound=None):
    """Exact up to the bound; past it, an honest lower bound rather than a
    count that costs more than the page it heads."""
    bound = COUNT_BOUND if bound is None else bound
    n = query.order_by().limit(bound + 1).count()
    return BoundedCount(min(n, bound), bounded=n > bound)


class BoundedCount(int):
    """A row count that may be a lower bound (the list shows 超过 …)."""

    def __new__(cls, value, bounded=False):
        count = super().__new__(cls, value)
        count.bounded = bounded
        return count


class ReadingMixin:
    # FK names whose related record is selected with the page (no N+1).
    list_joins = ()

    def _joined_models(self):
        return [getattr(self.model, name).rel_model for name in self.list_joins]

    def get_query(self):
        # The related records are read only as far as their name shows.
        related = [getattr(m, f) for m in self._joined_models() for f in ("id", *m.display_fields)]
        query = self.model.select(self.model, *related)
        for name in self.list_joins:
            fk = getattr(self.model, name)
            query = query.switch(self.model).join(fk.rel_model, JOIN.LEFT_OUTER, on=(fk == fk.rel_model.id))
        return self.scope(query.switch(self.model))

    # --- which rows ------------------------------------------------------------------
    def filtered_ids(self, search, filters):
        """The ids of the matching rows, scoped, searched and filtered: joins
        are added only where a search or filter needs another table."""
        query = self.scope(self.model.select(self.model.id))
        joins = set()
        if compat.search_supported(self) and search:
            query = self.apply_search(query, search, joins)
        view_filters = compat.filters(self)
        for index, _name, value in (filters or ()) if view_filters else ():
            flt = view_filters[index]
            query = self.join_for(query, flt.column, joins)
            query = flt.apply(query, flt.clean(value))
        return query, joins

    def apply_search(self, query, search, joins):
        """Every word must match one of the searchable columns (substring);
        large tables answer from their gram index (program/search.py)."""
        for word in search.split():
            if self.model in searching.SPECS:
                query = query.where(searching.condition(self.model, word))
                continue
            condition = self.search_also(word)
            for field in compat.search_fields(self):
                query = self.join_for(query, field, joins)
                clause = field.contains(word)
                condition = clause if condition is None else (condition | clause)
            query = query.where(condition)
        return query

    def search_also(self, word):
        """A condition a search word may meet besides the searchable
        columns (None: none), e.g. a Chinese name standing for a code."""
        return None

    def join_for(self, query, field, joins):
        """Join the table a search, filter or sort column lives in, once, by
        this table's own foreign key to it."""
        related = getattr(field, "model", None)
        if related is None or related is self.model or related.__name__ in joins:
            return query
        fk = next(f for f in self.model._meta.refs if f.rel_model is related)
        joins.add(related.__name__)
        return query.switch(self.model).join(related, JOIN.LEFT_OUTER, on=(fk == related.id)).switch(self.model)

    @staticmethod
    def clean_search(search):
        """The search box's text as searched (search.clean_term), saying so
        when it had to be shortened."""
        cleaned = searching.clean_term(search)
        if search and cleaned != " ".join(search.split()):
            flash(f"搜索内容过长或含有不可见字符，已按前 {searching.MAX_WORDS} 个词"
                  f"（{searching.MAX_LENGTH} 个字以内）搜索。", "warning")
        return cleaned

    # --- the page ------------------------------------------------------------------------
    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        page_size = self.page_size if page_size is None else page_size
        if page and not 0 <= page <= MAX_PAGE:
            abort(404)
        search = self.clean_search(search)
        if page_size and self._index_answers(search, filters, sort_column):
            return self._index_page(search.split(), (page or 0) * page_size, page_size)
        query, joins = self.filtered_ids(search, filters)
        bound = SEARCH_COUNT_BOUND if search else COUNT_BOUND
        count = None if self.simple_list_pager else bounded_count(query, bound)
        order = self.list_order(sort_column, sort_desc)
        if order:
            query, joins = compat.order_by(self, query, joins, order)
        if page_size:
            query = query.limit(page_size)
            if page:
                query = query.offset(page * page_size)
        return count, self._page(query, order)

    def list_order(self, sort_column, sort_desc):
        """The chosen sort, or the list's default when none (or one that
        cannot be sorted on) is asked for."""
        column = compat.sortable_column(self, sort_column) if sort_column is not None else None
        return [(column, sort_desc)] if column is not None else compat.default_order(self)

    def _index_answers(self, search, filters, sort_column):
        """A plain text search, newest first, over every row the user may see:
        the gram index gives the page and the count by itself."""
        return (compat.search_supported(self) and not filters and sort_column is None
                and compat.default_order(self) in (None, [("id", True)])
                and searching.index_only(self.model, (search or "").split())
                and not self.is_scoped())

    def _index_page(self, words, offset, page_size):
        # The newest matches up to the bound, newest first: the count and,
        # for the first pages, the page itself.
        newest = searching.page_ids(self.model, words, SEARCH_COUNT_BOUND + 1)
        count = BoundedCount(min(len(newest), SEARCH_COUNT_BOUND), bounded=len(newest) > SEARCH_COUNT_BOUND)
        if offset + page_size <= len(newest) or len(newest) <= SEARCH_COUNT_BOUND:
            ids = newest[offset:offset + page_size]
        else:
            ids = searching.page_ids(self.model, words, page_size, offset)
        return count, self.rows(ids)

    def _page(self, ids_query, order):
        """Deferred join in one statement: the page's ids in a subquery (an
        index walk, even deep in the list) joined to their rows and related
        records, in the list's order."""
        page = ids_query.alias("page")
        outer = self.get_query().join(page, on=(self.model.id == page.c.id))
        if order:
            outer, _ = compat.order_by(self, outer, {m.__name__ for m in self._joined_models()}, order)
        return list(outer)

    def rows(self, ids):
        """These rows with their related records, in the order of `ids`,
        read in chunks of 500."""
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update((r.id, r) for r in self.get_query().where(self.model.id.in_(chunk)))
        return [found[i] for i in ids if i in found]

    # --- list URLs ---------------------------------------------------------------------
    def list_url(self, view_args):
        """flask-admin's list URL (same arguments, same order, same encoding
        as url_for), with the path looked up once per request: a list page
        asks for some twenty of these (sort headers, pager, page sizes)."""
        args = dict(page=view_args.page or None, sort=view_args.sort,
                    desc=1 if view_args.sort_desc else None, search=view_args.search)
        args.update(view_args.extra_args)
        args["page_size"] = self.get_safe_page_size(view_args.page_size)
        args.update(compat.filter_url_arguments(self, view_args.filters))
        query = urllib.parse.urlencode([(k, v) for k, v in args.items() if v is not None],
                                       safe="!$'()*,/:;?@")
        path = self.list_path()
        return f"{path}?{query}" if query else path

    def list_path(self):
        """This list's path, looked up once per request."""
        key = f"list_path_{self.endpoint}"
        if key not in g:
            setattr(g, key, self.get_url(".index_view"))
        return g.get(key)

    def search_placeholder(self):
        names = []
        for spec in self.column_searchable_list or ():
            field = getattr(self.model, spec) if isinstance(spec, str) else spec
            label = field.verbose_name or field.name
            owner = field.model._meta.verbose_name
            if field.model is not self.model and not label.startswith(owner):
                # "机构名称" of a 推荐机构 reads 推荐机构名称, not 推荐机构机构名称.
                label = owner + (label[2:] if label.startswith("机构") else label)
            names.append(label)
        return ("搜索：" + "、".join(names) if names else "搜索") + "（按 / 键）"
