"""Production settings: the public site. Only what differs from pelicanconf."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: E402

SITEURL = os.environ.get("SITEURL", "https://www.yunxi-renda.example")
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
DRAFT_SAVE_AS = ""  # drafts and waiting items never reach the public
DRAFT_PAGE_SAVE_AS = ""

# Where invoke publish puts releases: a folder on this machine, or
# "ssh://user@host:22/srv/renda" (rsync over ssh). nginx serves <target>/live.
PUBLISH = {
    "TARGET": os.environ.get("PUBLISH_TARGET", ""),
    "KEEP": 5,
    "SSH_OPTIONS": [],
}
