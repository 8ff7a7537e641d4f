"""HTML to PDF through a headless Chromium, for reports people print or send (the CX scorecard).

The page is written to a private temporary directory and printed by the browser binary itself
(`--print-to-pdf`); nothing is fetched: the HTML carries its styles and its charts (SVG) inline, and the
browser runs without network services. Where no Chromium is installed, `PrintingUnavailable` says so.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import ClassVar

from omnicx.kernel.errors import DomainError

TIMEOUT_SECONDS = 90
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


class PrintingUnavailable(DomainError):
    """No Chromium to print with, or it failed: the report is still there as a page and as CSV."""

    code: ClassVar[str] = "pdf_unavailable"
    status: ClassVar[int] = 503


def find_chromium(configured: str | None = None) -> str | None:
    """The browser binary: the configured path, else the first Chromium on the PATH."""
    if configured:
        return configured if Path(configured).exists() else shutil.which(configured)
    return next((found for name in _CANDIDATES if (found := shutil.which(name))), None)


def html_to_pdf(html: str, *, chromium: str | None = None) -> bytes:
    """Print `html` (self-contained: no external references) to PDF bytes."""
    binary = find_chromium(chromium)
    if binary is None:
        raise PrintingUnavailable("no Chromium is installed to print the PDF; export CSV instead")
    with tempfile.TemporaryDirectory(prefix="omnicx-print-") as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={folder}/profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        try:
            # The binary is the operator's setting or found on the PATH; the arguments are ours.
            subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintingUnavailable(f"printing the PDF failed: {exc}") from None
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise PrintingUnavailable("printing the PDF failed: the browser wrote nothing")
        return pdf.read_bytes()
