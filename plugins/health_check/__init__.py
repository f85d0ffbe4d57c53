"""Site health check against the inspection indicators for government websites.

Not a Pelican plugin: ``invoke check`` runs these functions on the checked content
and on the built site.
"""
