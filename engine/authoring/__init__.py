"""Tools for the people who write and sign off the rules: lint, schemas, the rulebook, traceability, diff.

This wing reads the core (the validated protocol, the English rendering of rules, plans)
and never changes it; the core never imports it. Its entry points, for the command line
and for other programs:

* :func:`lint_folder`: what the rules mean together (``pore-protocol lint``);
* :func:`build_schemas`: JSON Schemas for editors (``pore-protocol schema``);
* :func:`build_rulebook` with :func:`render_rulebook_markdown` / :func:`render_rulebook_html`:
  the rulebook a reviewer signs off (``pore-protocol docs``);
* :func:`build_matrix`: rule → scenarios → outcome (``pore-protocol trace``);
* :func:`diff_protocols`: which clients' plans a rule change affects (``pore-protocol diff``),
  here or on a Dask cluster.
"""

from __future__ import annotations

from engine.authoring._diff import diff_client, diff_protocols, open_clients, read_clients
from engine.authoring._diff import render_json as render_diff_json
from engine.authoring._diff import render_text as render_diff_text
from engine.authoring._docs import build_rulebook
from engine.authoring._docs import render_html as render_rulebook_html
from engine.authoring._docs import render_markdown as render_rulebook_markdown
from engine.authoring._lint import CODES, SEVERITY_RANK, LintReport, lint_folder
from engine.authoring._lint_context import Finding
from engine.authoring._schema import SCHEMAS, build_schemas, schema_text
from engine.authoring._trace import FeatureError, ResultsError, build_matrix, index_features, load_results
from engine.authoring._trace import render_json as render_matrix_json
from engine.authoring._trace import render_markdown as render_matrix_markdown

__all__ = [
    "CODES",
    "SCHEMAS",
    "SEVERITY_RANK",
    "FeatureError",
    "Finding",
    "LintReport",
    "ResultsError",
    "build_matrix",
    "build_rulebook",
    "build_schemas",
    "diff_client",
    "diff_protocols",
    "index_features",
    "lint_folder",
    "load_results",
    "open_clients",
    "read_clients",
    "render_diff_json",
    "render_diff_text",
    "render_matrix_json",
    "render_matrix_markdown",
    "render_rulebook_html",
    "render_rulebook_markdown",
    "schema_text",
]
