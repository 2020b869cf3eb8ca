"""The review packet: what a reader may see of a process, for a personnel file, as a
printable page and as a PDF (WeasyPrint); HR's copy keeps the private note, the
employee's does not, and nobody else gets one."""

from __future__ import annotations

import re
import zlib

from tests.web import webscenario as scenario
from tests.web.conftest import sign_in

SAM, BOB, HANA, UMA = "sam@acme.test", "bob@acme.test", "hana@acme.test", "uma@acme.test"


def _debriefed(app) -> int:
    from engine import commands

    with app.app_context():
        iid = scenario.to_debrief(app)
        commands.submit(scenario.open_task(iid, BOB).id, BOB, scenario.DEBRIEF)
    return iid


def test_hr_prints_the_whole_review_with_the_private_note(app):
    iid = _debriefed(app)
    hana = sign_in(app.test_client(), app, HANA)
    assert f'href="/instances/{iid}/packet"' in hana.get(f"/instances/{iid}").get_data(
        as_text=True)
    html = hana.get(f"/instances/{iid}/packet").get_data(as_text=True)
    assert "packet.css" in html and "<style>" not in html  # the site allows no inline style
    assert "HR-ONLY private note" in html
    assert html.count('data-testid="packet-submission"') >= 3
    assert "Anonymous answers, combined." in html  # the peers' answers, never one by one
    for name in ("Pat Peer", "Quinn Peer", "Rita Peer"):  # nominated, but no answer by name
        assert f"by {name}" not in html
    assert 'data-testid="packet-history"' in html and "Sam Subject" in html


def test_the_employee_packet_leaves_out_what_he_may_not_read(app):
    iid = _debriefed(app)
    sam = sign_in(app.test_client(), app, SAM)
    html = sam.get(f"/instances/{iid}/packet").get_data(as_text=True)
    assert "HR-ONLY private note" not in html
    uma = sign_in(app.test_client(), app, UMA)
    assert uma.get(f"/instances/{iid}/packet").status_code == 403
    assert uma.get(f"/instances/{iid}/packet.pdf").status_code == 403
    assert app.test_client().get(f"/instances/{iid}/packet").status_code in (302, 401)


def test_the_pdf_is_a_real_pdf_with_pages(app):
    iid = _debriefed(app)
    hana = sign_in(app.test_client(), app, HANA)
    response = hana.get(f"/instances/{iid}/packet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    objects = _objects(pdf)
    pages = re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", objects, re.S)
    assert pages and int(pages.group(1)) >= 1
    assert b"/FontFile" in objects or b"/FontDescriptor" in objects  # text was laid out


def _objects(pdf: bytes) -> bytes:
    """The PDF's objects with their compressed streams opened (page tree, fonts)."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass
    return b"\n".join(out)
