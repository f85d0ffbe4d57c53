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
