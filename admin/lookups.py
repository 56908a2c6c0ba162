"""The ajax lookups of the forms (an enterprise, a lab, a project typed
into its field): flask-admin's loader, bounded, ordered newest first,
answered from the search index where it can, refusing an id that is none."""
from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader

import compat
import models
from program import search


class BoundedAjaxLoader(QueryAjaxModelLoader):
    MAX_ROWS = 20
    # A lookup is typed, not paged through: past a few hundred rows the
    # clerk types more (and a 30-digit offset never reaches the database).
    MAX_OFFSET = 1000

    def __init__(self, name, model, **options):
        # where: a callable giving the condition the offered rows must meet.
        self.where = options.pop("where", None)
        # label: a callable giving what the clerk reads for a row (its name by default).
        self.label = options.pop("label", None)
        super().__init__(name, model, **options)

    def format(self, model):
        if model is None or self.label is None:
            return super().format(model)
        return (model.id, self.label(model))

    def get_one(self, pk):
        pk = models.parse_id(pk)
        return None if pk is None else self.model.get_or_none(self.model.id == pk)

    def get_list(self, term, offset=0, limit=10):
        limit = max(1, min(int(limit or 10), self.MAX_ROWS))
        offset = max(0, int(offset or 0))
        if offset > self.MAX_OFFSET:
            return []
        words = search.clean_term(term).split()
        if self.where is None and search.index_only(self.model, words):
            # Newest matches straight from the gram index.
            ids = search.page_ids(self.model, words, limit, offset)
            rows = {r.id: r for r in self.model.select().where(self.model.id.in_(ids))}
            return [rows[i] for i in ids if i in rows]
        query = self._matching(words)
        return list(query.order_by(self.model.id.desc()).offset(offset).limit(limit))

    def _matching(self, words):
        query = self.model.select()
        if self.where is not None:
            query = query.where(self.where())
        if words and self.model in search.SPECS:
            for word in words:
                query = query.where(search.condition(self.model, word))
        elif words:
            term = " ".join(words)
            condition = None
            for field in compat.loader_fields(self):
                clause = field.contains(term)
                condition = clause if condition is None else (condition | clause)
            query = query.where(condition)
        return query


class LookupsMixin:
    def ajax_loader(self, name, options):
        """flask-admin builds a view's lookups here (compat.ModelViewHooks)."""
        remote = getattr(self.model, name).rel_model
        return BoundedAjaxLoader(name, remote, **options)
