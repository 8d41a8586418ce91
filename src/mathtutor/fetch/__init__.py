"""``mathtutor corpus fetch``: bring the freely downloadable texts and transcripts of the catalog onto this machine.

A learner should not have to hunt for PDFs by hand, and answers should cite the page or minute of a file
that is really here.  ``corpus/sources.yaml`` (facts only) names, for catalog entries, the files that can
be downloaded: addresses, format, licence terms and, where known, a sha256.  Its modules

* loads and checks that registry against the catalog (``registry``) and picks items by id
  (:func:`select`);
* downloads them in parallel (``download``) with timeouts, retries with backoff, resume of
  partial files (HTTP Range), a size cap, content checks (a PDF must be a PDF, not an HTML error page),
  checksum verification (or recording on first download, in ``DEST/checksums.json``, never in the
  committed registry) and an atomic rename into place, so a failed item never stops the others and never
  touches a file that is already there;
* writes ``DEST/manifest.jsonl`` (the sources-manifest format of :mod:`mathtutor.ingest.linking`) so ingestion
  links each file to its catalog entry and address (``registry``);
* and implement the command (``command``), optionally ingesting what it fetched.

Files live at ``DEST/<catalog id>/<file>``; a mirror (``--mirror URL`` or ``$MATHTUTOR_MIRROR``) serves
the same layout at ``URL/<catalog id>/<file>``, so a fetched folder can itself be published as a mirror.
Partial downloads wait in ``DEST/.partial/`` (hidden, so ingestion never sees them).  The environment can
point at another registry (``MATHTUTOR_SOURCES``) and tune the transfer (``MATHTUTOR_FETCH_TIMEOUT``,
``_RETRIES``, ``_BACKOFF``, ``_MAX_MB``, ``_WORKERS``).
"""

from mathtutor.fetch.command import run_fetch
from mathtutor.fetch.download import DEFAULT_DEST, FetchBusyError, FetchOptions, ItemResult, fetch_items, plan
from mathtutor.fetch.files import check_content
from mathtutor.fetch.registry import (
    Item,
    SelectionError,
    SourcesError,
    default_sources_path,
    load_sources,
    mirror_url,
    select,
    write_manifest,
)

__all__ = [
    "DEFAULT_DEST",
    "FetchBusyError",
    "FetchOptions",
    "Item",
    "ItemResult",
    "SelectionError",
    "SourcesError",
    "check_content",
    "default_sources_path",
    "fetch_items",
    "load_sources",
    "mirror_url",
    "plan",
    "run_fetch",
    "select",
    "write_manifest",
]
