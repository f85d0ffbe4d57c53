"""Site search: Pagefind's extended build indexes the built site for Chinese.

Not a Pelican plugin: ``invoke build`` runs ``build_index`` after Pelican, on the
finished output; the search page and its script are in the theme.
"""
