"""Application materials, downloaded only through their record's own view:
the record's scope and the role's access apply to its files too."""
import logging
import os

from flask import abort, current_app, request, send_file
from flask_admin import expose

from models import MaterialField
from program import materials

log = logging.getLogger(__name__)


class DownloadsMixin:
    def material_fields(self):
        return [n for n, f in self.model._meta.fields.items() if isinstance(f, MaterialField)]

    @expose("/material/<field>/")
    def material_view(self, field):
        if field not in self.material_fields():
            abort(404)
        record = self.get_one(request.args.get("id"))
        stored = getattr(record, field)
        if stored is None:
            abort(404)
        path = materials.path_for(current_app.config["UPLOAD_DIR"], stored.stored_name)
        if not os.path.isfile(path):
            # The row without its file (a restore without the uploads, say).
            log.error("material file missing: %s", path)
            abort(404)
        response = send_file(path, mimetype=stored.content_type, as_attachment=True,
                             download_name=materials.clean_name(stored.original_name))
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
