"""Register the tally with Pelican: report pages and exports for every period."""

from __future__ import annotations

import logging
import os
from importlib.metadata import version
from pathlib import Path

from fast_build.incremental import carry_over, digest, made
from fast_build.parallel import AheadFailed, ahead_result, work_ahead
from fast_build.session import defers, later
from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from content_model.cache import DerivedCache
from content_model.config import get_config as get_model_config
from content_model.config import get_site
from content_model.content_model import CONTEXT_KEY
from content_model.output import write_if_changed

from .charts import bar_chart
from .config import get_config
from .count import count, periods_of, years_of
from .export import load_openpyxl, tables, to_csv, to_json, to_xlsx
from .model import tally_items

logger = logging.getLogger(__name__)

# Settings the export tables read besides the report itself.
EXPORT_SETTINGS = ("COLUMNS", "COLUMN_GROUPS", "OUTLETS", "UNITS", "GENRES", "TALLY")


def report_path(key: str) -> str:
    """Return the folder of a period's page: tally/2025/, tally/2025/q1/, tally/2025/03/."""
    year, _, rest = key.partition("-")
    return f"{year}/" + (f"{rest.lower()}/" if rest else "")


def export_name(key: str, fmt: str) -> str:
    """Return the file name of a period's export."""
    return f"tally-{key}.{fmt}"


# year -> (what its reports were counted from, the reports); period -> (the same, its
# report): a long-lived preview process counts again only the periods an edit touched.
_COUNTED: dict[int, tuple[tuple, dict]] = {}
_SPANS: dict[str, tuple[tuple, dict]] = {}
# id(report) -> (the report, its JSON): the workbooks' key, laid out once per report.
_JSON: dict[int, tuple[dict, bytes]] = {}


def _json(report: dict) -> bytes:
    known = _JSON.get(id(report))
    if known is None:
        known = _JSON[id(report)] = (report, to_json(report))
    return known[1]


def _forget_json() -> None:
    """Drop the JSON of reports no longer counted (a preview session counts again)."""
    live = {id(r) for _, reports in _COUNTED.values() for r in reports.values()}
    for key in [key for key, (_, report) in _SPANS.items() if id(report) not in live]:
        del _SPANS[key]
    for key in [key for key in _JSON if key not in live]:
        del _JSON[key]


class _Counting:
    """Every period's report and exports, from the settings and the checked content."""

    settings: dict
    context: dict
    workbooks: DerivedCache | None

    def _count(self, year: int, near: list, spans: list, config: dict, site, as_of,
               ready: dict) -> dict:  # fmt: skip
        fixed = (as_of, repr(config), repr([self.settings.get(k) for k in EXPORT_SETTINGS]))
        inputs = (near, [s.key for s in spans], *fixed)
        known = _COUNTED.get(year)
        if known is not None and known[0] == inputs:
            return known[1]
        reports = {}
        for span in spans:
            if span.key in ready:  # counted and laid out ahead
                reports[span.key] = report = ready[span.key][0]
                _JSON[id(report)] = (report, ready[span.key][1]["json"])
                continue
            # A period's report reads its own days and the same days a year earlier
            # (count.count): an edit elsewhere in the year leaves it as it was.
            earlier = span.a_year_earlier()
            read = [i for i in near if span.start <= i.day < span.end
                    or earlier.start <= i.day < earlier.end]  # fmt: skip
            counted = _SPANS.get(span.key)
            if counted is None or counted[0] != (read, *fixed):
                report = count(read, span, config, site, as_of)
                counted = _SPANS[span.key] = ((read, *fixed), report)
            reports[span.key] = counted[1]
        _COUNTED[year] = (inputs, reports)
        return reports

    def _years(self):
        """Yield (year, the items its reports read, its periods so far) for every year."""
        site = get_site(self.settings)
        corpus = self.context[CONTEXT_KEY]
        as_of = corpus.now.date()
        items = tally_items(corpus, site)
        by_year: dict[int, list] = {}
        for item in items:
            by_year.setdefault(item.day.year, []).append(item)
        for year in years_of(items, as_of):
            # A year's reports read its own items and, to compare, the year before's.
            near = by_year.get(year - 1, []) + by_year[year]
            yield year, near, [s for s in periods_of(year) if s.start <= as_of]

    def _open_workbooks(self) -> None:
        self.workbooks = None
        if get_model_config(self.settings)["CACHE"]:
            self.workbooks = DerivedCache(self.settings, "tally-xlsx", [
                version("openpyxl"),
                *(f.read_text(encoding="utf-8") for f in sorted(Path(__file__).parent.glob("*.py"))),
                *(repr(self.settings.get(key)) for key in EXPORT_SETTINGS),
            ])  # fmt: skip

    def lay_out(self) -> dict[str, tuple[dict, dict[str, bytes]]]:
        """Count every period and make its exports: period -> (report, format -> bytes).

        What a forked copy works out ahead; the workbooks it makes are cached as usual.
        """
        config, site = get_config(self.settings), get_site(self.settings)
        as_of = self.context[CONTEXT_KEY].now.date()
        self._open_workbooks()
        laid_out = {}
        for year, near, spans in self._years():
            reports = self._count(year, near, spans, config, site, as_of, {})
            for span in spans:
                report = reports[span.key]
                makers = self._makers(report, site)
                laid_out[span.key] = (report, {fmt: make() for fmt, make in makers.items()})
        return laid_out

    def _makers(self, report: dict, site) -> dict:
        """Return how each export of a report is made (format -> function)."""
        return {
            "json": lambda: _json(report),
            "csv": lambda: to_csv(report, site),
            "xlsx": lambda: (
                self.workbooks.get(_json(report), lambda: to_xlsx(report, site))
                if self.workbooks is not None
                else to_xlsx(report, site)
            ),
        }


def lay_out(articles) -> dict[str, tuple[dict, dict[str, bytes]]]:
    """Count and lay out every period from the articles' generator's settings and content."""
    counting = _Counting()
    counting.settings, counting.context = articles.settings, articles.context
    return counting.lay_out()


def _ready() -> dict:
    """Return what a copy laid out ahead (`lay_out`), or {} (none, or it failed)."""
    try:
        return ahead_result("tally") or {}
    except AheadFailed as error:  # counted here instead: a real error shows again
        logger.debug("the tally counted ahead failed:\n%s", error)
        return {}


class TallyGenerator(_Counting, Generator):
    """Write /tally/, a page per year, quarter and month, and their exports."""

    def generate_output(self, writer):
        """Count every period from the checked corpus and write pages and exports."""
        config = get_config(self.settings)
        site = get_site(self.settings)
        as_of = self.context[CONTEXT_KEY].now.date()
        ready = _ready()
        base = config["URL"]
        self._open_workbooks()
        years = []
        for year, near, spans in self._years():
            reports = self._count(year, near, spans, config, site, as_of, ready)
            years.append(reports[str(year)])
            for span in spans:
                report = reports[span.key]
                folder = base + report_path(span.key)
                self._exports(folder, report, site, ready.get(span.key, (None, None))[1])
                writer.write_file(
                    folder + "index.html",
                    self.get_template("tally_report"),
                    self.context,
                    report=report,
                    report_tables=tables(report, site),
                    charts=_charts(report, span.kind),
                    children=[
                        (s.label, base + report_path(s.key))
                        for s in spans
                        if s.kind != "year"
                        and (
                            span.kind == "year"
                            or (
                                span.kind == "quarter"
                                and s.kind == "month"
                                and span.start <= s.start < span.end
                            )
                        )
                    ],  # fmt: skip
                    exports=[
                        (fmt, folder + export_name(span.key, fmt))
                        for fmt in ("csv", "xlsx", "json")
                    ],
                    tally_url=base,
                    url=folder,
                )
        writer.write_file(
            base + "index.html",
            self.get_template("tally_index"),
            self.context,
            years=[(r, base + report_path(r["period"])) for r in years],
            url=base,
        )
        if self.workbooks is not None:
            self.workbooks.prune()
        _forget_json()
        if defers():  # its workbooks came from the cache: import what a recount needs
            later(load_openpyxl)

    def _exports(self, folder: str, report: dict, site, ready: dict | None) -> None:
        target = os.path.join(self.output_path, folder)
        # Every export is the report laid out: it is their key (its JSON without a fast
        # build). The workbook cache, keyed by the JSON, then remakes only the periods
        # an edit falls in.
        inputs = digest(report) or _json(report)
        makers = self._makers(report, site)
        for fmt, make in makers.items():
            path = os.path.join(target, export_name(report["period"], fmt))
            key = carry_over(path, inputs)
            if key is not None:
                write_if_changed(path, ready[fmt] if ready else make())
                made(path, key)
            if fmt == "xlsx" and self.workbooks is not None and (key is None or ready):
                # Carried over, or made ahead: its cache entry is still wanted.
                self.workbooks.keep(_json(report))


def _charts(report: dict, kind: str) -> list[Markup]:
    charts = [Markup(bar_chart(f"{report['label']}各栏目稿件数", report["by_column"]))]
    if kind != "month":
        months = {f"{int(m)}月": n for m, n in report["by_month"].items()}
        charts.insert(0, Markup(bar_chart(f"{report['label']}各月稿件数", months)))
    outlets = {k: v for k, v in report["by_outlet"].items() if v}
    if outlets:
        charts.append(Markup(bar_chart(f"{report['label']}各渠道刊发篇次", outlets)))
    return charts


def get_generators(pelican):
    """Offer the tally generator to Pelican."""
    return TallyGenerator


def register():
    """Connect the plugin (module-level receivers: Pelican keeps weak references)."""
    signals.get_generators.connect(get_generators)
    work_ahead("tally", lay_out)
