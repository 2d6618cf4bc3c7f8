"""The documents in the repository: links that resolve in a clone, the column dictionary
that covers the schema, a source and licence for every dataset, the LICENSE file."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from nasbench.tables import schema as S
from nasbench.tables.columns import COLUMNS, column_rows, render_columns

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "nasbench" / "shipped_tables" / "digits-pnas" / "TABLE.md"]


def relative_links(path: Path) -> list[str]:
    """Relative link targets of a Markdown file (URLs, mail and in-page anchors left out),
    outside code blocks."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    targets = [m.group(1) for m in LINK.finditer(text)]
    return [t for t in targets if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", t)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_in_the_clone(doc):
    assert doc.is_file()
    missing = [t for t in relative_links(doc)
               if not (doc.parent / unquote(t.split("#")[0])).exists()]
    assert not missing, f"{doc.relative_to(ROOT)} links to missing files: {missing}"
    outside = [t for t in relative_links(doc)
               if ROOT not in (doc.parent / unquote(t.split("#")[0])).resolve().parents
               and (doc.parent / t).resolve() != ROOT]
    assert not outside, f"{doc.relative_to(ROOT)} links outside the repository: {outside}"


def test_link_check_catches_a_missing_file(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[ok](page.md) [gone](nope.md) [web](https://x.org) [anchor](#a)\n"
                    "```\n[in code](also-gone.md)\n```\n")
    assert relative_links(page) == ["page.md", "nope.md"]


def test_column_dictionary_covers_the_schema_exactly():
    schema_columns = {(f, field.name) for f, schema in ((S.RUNS_FILE, S.RUNS_SCHEMA),
                                                        (S.CURVES_FILE, S.CURVES_SCHEMA))
                      for field in schema}
    assert set(COLUMNS) == schema_columns
    rows = column_rows()
    assert len(rows) == len(schema_columns)
    assert all(unit and meaning for _, _, _, unit, meaning in rows)
    assert ("runs.parquet", "params", "int64", "parameters") == rows[8][:4]


def test_datasheet_and_contract_carry_the_column_dictionary(tmp_path):
    from table_factory import make_table

    from nasbench.tables.datasheet import write_datasheet

    table = make_table(tmp_path / "t")
    text = write_datasheet(table).read_text()
    assert render_columns() in text
    for _, column, *_ in column_rows():
        assert f"`{column}`" in text
    assert "## How to cite" in text and "Licence of the data: CC BY 4.0" in text
    assert render_columns() in (ROOT / "docs" / "contract.md").read_text()
    shipped = ROOT / "nasbench" / "shipped_tables" / "digits-pnas" / "TABLE.md"
    assert render_columns() in shipped.read_text()


def test_every_registered_dataset_has_a_source_and_licence():
    from nasbench.data import DATASETS
    from nasbench.tables.sources import SOURCES, source_of

    assert set(SOURCES) == set(DATASETS)
    assert all(s.licence and s.citation and s.url.startswith("http") for s in SOURCES.values())
    assert source_of("Fashion-MNIST").licence == "MIT"
    assert source_of("synthetic") is None


def test_license_file_is_the_apache_2_text():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 190
