"""Publishing: atomic releases on a local folder or an SSH host, and the nginx config.

Not a Pelican plugin: ``invoke publish`` and ``invoke rollback`` use it after a build.
"""
