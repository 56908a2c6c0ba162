"""Application materials: checked by content, capped, stored by a generated
name under UPLOAD_DIR, served only to those who may see the record."""
import io
import os
import zipfile

import models
from tests import factories
from tests.formtools import read_form
from tests.support import csrf_token
from tests.test_crud import payloads

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def upload(client, table, record_id, field, content, filename, extra):
    url = f"/admin/{table}/edit/?id={record_id}"
    data = dict(extra, version=read_form(client, url)["version"], csrf_token=csrf_token(client, url))
    data[field] = (io.BytesIO(content), filename)
    return client.post(url, data=data, content_type="multipart/form-data")


def ri_form(w):
    return payloads(w)["recommending_institution"][1]


def test_pdf_is_stored_under_a_generated_name_and_downloads(client, as_role, upload_dir):
    w = factories.world()
    for record in (w["recommending_institution"], w["service_institution"]):
        factories.reopened(record)  # open to edits (program/locks.py)
    ri = w["recommending_institution"]
    as_role("clerk")
    response = upload(client, "recommending_institution", ri.id, "application_form", PDF,
                      "../../etc/申请表.pdf", ri_form(w))
    assert response.status_code == 302
    stored = models.RecommendingInstitution.get_by_id(ri.id).application_form
    assert stored is not None and stored.content_type == "application/pdf" and stored.size == len(PDF)
    assert stored.original_name == "申请表.pdf"
    assert "/" not in stored.stored_name and stored.stored_name.endswith(".pdf")
    path = os.path.join(upload_dir, stored.stored_name[:2], stored.stored_name)
    assert open(path, "rb").read() == PDF
    assert not any("申请表" in name for _, _, files in os.walk(upload_dir) for name in files)

    download = client.get(f"/admin/recommending_institution/material/application_form/?id={ri.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]

    details = client.get(f"/admin/recommending_institution/details/?id={ri.id}").get_data(as_text=True)
    assert "申请表.pdf" in details and "material/application_form" in details


def test_empty_upload_keeps_the_file_already_attached(client, as_role):
    w = factories.world()
    for record in (w["recommending_institution"], w["service_institution"]):
        factories.reopened(record)  # open to edits (program/locks.py)
    ri = w["recommending_institution"]
    as_role("clerk")
    upload(client, "recommending_institution", ri.id, "application_form", PDF, "a.pdf", ri_form(w))
    first = models.RecommendingInstitution.get_by_id(ri.id).application_form_id
    url = f"/admin/recommending_institution/edit/?id={ri.id}"
    response = client.post(url, data=dict(ri_form(w), contact_name="周杰", version=read_form(client, url)["version"],
                                          csrf_token=csrf_token(client, url)))
    assert response.status_code == 302
    row = models.RecommendingInstitution.get_by_id(ri.id)
    assert row.application_form_id == first and row.contact_name == "周杰"


def test_word_and_image_files_are_accepted(client, as_role):
    w = factories.world()
    for record in (w["recommending_institution"], w["service_institution"]):
        factories.reopened(record)  # open to edits (program/locks.py)
    si = w["service_institution"]
    as_role("clerk")
    form = payloads(w)["service_institution"][1]
    assert upload(client, "service_institution", si.id, "management_rules", docx_bytes(), "细则.docx", form).status_code == 302
    assert upload(client, "service_institution", si.id, "authorization_letter", PNG, "授权函.png", form).status_code == 302
    row = models.ServiceInstitution.get_by_id(si.id)
    assert row.management_rules.content_type.endswith("wordprocessingml.document")
    assert row.authorization_letter.content_type == "image/png"


def test_a_disguised_file_is_refused_by_its_content(client, as_role):
    w = factories.world()
    for record in (w["recommending_institution"], w["service_institution"]):
        factories.reopened(record)  # open to edits (program/locks.py)
    ri = w["recommending_institution"]
    files_before = models.StoredFile.select().count()
    as_role("clerk")
    response = upload(client, "recommending_institution", ri.id, "application_form",
                      b"MZ\x90\x00 this is really a program", "申请表.pdf", ri_form(w))
    assert response.status_code == 200
    assert "文件类型不允许" in response.get_data(as_text=True)
    assert models.RecommendingInstitution.get_by_id(ri.id).application_form_id == ri.application_form_id
    assert models.StoredFile.select().count() == files_before


def test_a_file_over_the_cap_is_refused(client, as_role, app):
    w = factories.world()
    for record in (w["recommending_institution"], w["service_institution"]):
        factories.reopened(record)  # open to edits (program/locks.py)
    ri = w["recommending_institution"]
    files_before = models.StoredFile.select().count()
    as_role("clerk")
    big = PDF + b"0" * app.config["MAX_UPLOAD_BYTES"]
    # The cap is said before the upload, in the unit that fits (64 KB in the tests, 10 MB by default).
    assert "不超过 64 KB" in client.get(f"/admin/recommending_institution/edit/?id={ri.id}").get_data(as_text=True)
    response = upload(client, "recommending_institution", ri.id, "application_form", big, "big.pdf", ri_form(w))
    assert "文件过大：上限为 64 KB" in response.get_data(as_text=True)
    assert models.StoredFile.select().count() == files_before


def test_downloads_follow_the_record_permissions(client, as_role):
    w = factories.world()
    for record in (w["recommending_institution"], w["service_institution"]):
        factories.reopened(record)  # open to edits (program/locks.py)
    ri = w["recommending_institution"]
    other = factories.recommending_institution()
    as_role("clerk")
    upload(client, "recommending_institution", ri.id, "application_form", PDF, "a.pdf", ri_form(w))
    upload(client, "recommending_institution", other.id, "application_form", PDF, "b.pdf",
           dict(ri_form(w), name=other.name, credit_code=other.credit_code))
    as_role.out()

    url = f"/admin/recommending_institution/material/application_form/?id={ri.id}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    as_role("institution", institution=ri)
    assert client.get(url).status_code == 200
    assert client.get(f"/admin/recommending_institution/material/application_form/?id={other.id}").status_code == 404
    assert client.get(f"/admin/recommending_institution/material/name/?id={ri.id}").status_code == 404
    assert client.get(f"/admin/service_institution/material/application_form/?id={w['service_institution'].id}").status_code == 403
