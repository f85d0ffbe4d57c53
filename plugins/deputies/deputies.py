"""Register the deputies' pages with Pelican."""

from __future__ import annotations

from pelican import signals
from pelican.generators import Generator

from content_model.config import get_site
from content_model.content_model import CONTEXT_KEY

from .profiles import directory, profiles


class DeputiesGenerator(Generator):
    """Write the directory (grouped by delegation) and a page per deputy."""

    def generate_context(self):
        """Match deputies with the published items that name them."""
        corpus = self.context[CONTEXT_KEY]
        site = get_site(self.settings)
        self.profiles = profiles(corpus.deputies(), self.context.get("articles", []))
        self.groups = directory(self.profiles, [d.name for d in site.delegations])
        self.columns = [c.name for c in site.columns]
        # The navigation links the directory only when there is one.
        self.context["DEPUTY_DIRECTORY"] = bool(self.profiles)
        if self.profiles:
            pages = [self.settings["DEPUTIES_URL"]]
            pages += [self.settings["DEPUTY_URL"].format(slug=p.id) for p in self.profiles]
            self.context.setdefault("SITEMAP_EXTRA", []).extend(pages)

    def generate_output(self, writer):
        """Write deputies/index.html and deputies/<id>/index.html."""
        if not self.profiles:
            return
        writer.write_file(
            self.settings["DEPUTIES_SAVE_AS"],
            self.get_template("deputies"),
            self.context,
            groups=self.groups,
            url=self.settings["DEPUTIES_URL"],
        )
        for profile in self.profiles:
            writer.write_file(
                self.settings["DEPUTY_SAVE_AS"].format(slug=profile.id),
                self.get_template("deputy"),
                self.context,
                deputy=profile,
                by_column=profile.by_column(self.columns),
                by_year=profile.by_year(),
                url=self.settings["DEPUTY_URL"].format(slug=profile.id),
            )


def get_generators(pelican):
    """Offer the deputies generator to Pelican."""
    return DeputiesGenerator


def register():
    """Connect the plugin (module-level receivers: Pelican keeps weak references)."""
    signals.get_generators.connect(get_generators)
