"""Site settings for the sample district portal (云溪区人大).

Another district reuses the generator with its own settings file that does
``from pelicanconf import *`` and replaces the site facts below (COLUMNS, OUTLETS,
UNITS, GENRES, SITENAME...). Every other part of the project reads those facts from
here; nothing else declares a column, an outlet, a unit or a genre.
"""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent

# --- Site identity ----------------------------------------------------------------
SITENAME = "云溪区人大"
SITESUBTITLE = "江州市云溪区人民代表大会常务委员会"
SITEURL = ""
# Feeds, the sitemap and sharing need absolute links; locally they point at the
# preview server (publishconf.py sets the real address).
FEED_DOMAIN = "http://localhost:8000"
PUBLISHER = "云溪区人大常委会办公室"

# --- Paths: absolute, so a settings file elsewhere that imports this one still
# finds the project's plugins and theme (Pelican resolves relative paths against
# the file that *defines* them only when that file is the one passed with -s).
PATH = "content"
OUTPUT_PATH = "output"
THEME = str(_HERE / "theme")
PLUGIN_PATHS = [str(_HERE / "plugins")]
# Plugins import each other's modules (fast_build's carry-over and copies): Pelican
# finds each plugin in PLUGIN_PATHS but puts no folder on the import path, so a
# `pelican` run from another folder would fail to load those plugins (an error it
# logs before any check, then builds without them). The folder goes on the path here.
if PLUGIN_PATHS[0] not in sys.path:
    sys.path.insert(0, PLUGIN_PATHS[0])
# content_model first: the other plugins read the records and site facts it makes.
PLUGINS = ["content_model", "feeds", "public_site", "tally", "deputies", "fast_build"]

ARTICLE_PATHS = ["news"]
PAGE_PATHS = ["pages"]
DEPUTY_PATHS = ["deputies"]  # one file per deputy: content/deputies/<id>.md
STATIC_PATHS = ["images", "files"]
USE_FOLDER_AS_CATEGORY = False  # the column comes from the 栏目 field, never the folder
# Names (of files and folders) that are not content: dot files (macOS ._x.md too),
# editor backups and Word's lock files. Pelican and our check both apply these.
IGNORE_FILES = [".*", "~$*", "*~", "#*#"]
# A build starts from an empty output folder, so nothing a previous build wrote (a
# draft preview, an item since deleted) lingers on the site. Content problems stop
# the build before this happens.
DELETE_OUTPUT_DIRECTORY = True

# --- Chinese defaults that vanilla Pelican gets wrong ---------------------------------
# "zh" alone makes docutils warn on every build; zh-CN also gives <html lang="zh-CN">.
DEFAULT_LANG = "zh-CN"
TIMEZONE = "Asia/Shanghai"
# Pelican looks the format up by the lower-cased language, so the key is "zh-cn".
DATE_FORMATS = {"zh-cn": "%Y年%-m月%-d日"}
DEFAULT_DATE_FORMAT = "%Y年%-m月%-d日"
# Same-title items (the monthly 主任会议) must never become "translations".
ARTICLE_TRANSLATION_ID = None
PAGE_TRANSLATION_ID = None
DEFAULT_PAGINATION = 20
# The home page shows the newest items per column group, not a paginated list.
PAGINATED_TEMPLATES = {"category": None, "tag": None, "author": None}
DIRECT_TEMPLATES = ["index", "categories", "tags", "authors", "archives", "404", "search"]
SEARCH_URL = "search/"
SEARCH_SAVE_AS = "search/index.html"
NEWEST_FIRST_ARCHIVES = True


def _newest_first(article):
    """Order items newest first; items of the same moment by slug, so builds agree."""
    return (-article.date.timestamp(), article.slug)


ARTICLE_ORDER_BY = _newest_first

# Escape every metadata value in templates; bodies are sanitized when read and
# marked safe explicitly where they are shown. Templates are loaded afresh by every
# build (each makes its own environments): within one, Jinja need not check each
# template file's modification time at every page it renders (a tenth of the time
# an item's page takes).
JINJA_ENVIRONMENT = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": True,
    "auto_reload": False,
}

# --- URLs: ASCII and stable; never pinyin of a title ------------------------------
ARTICLE_URL = "news/{date:%Y}/{date:%m}/{slug}.html"
ARTICLE_SAVE_AS = ARTICLE_URL
# Drafts and items waiting for their date are never written unless a preview asks
# for them (invoke serve --drafts), so they cannot leak onto the public site.
DRAFT_URL = "drafts/{slug}.html"
DRAFT_SAVE_AS = ""
DRAFT_PAGE_URL = "drafts/pages/{slug}.html"
DRAFT_PAGE_SAVE_AS = ""
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "column/{slug}/"
CATEGORY_SAVE_AS = "column/{slug}/index.html"
CATEGORIES_URL = "column/"
CATEGORIES_SAVE_AS = "column/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
TAGS_URL = "tag/"
TAGS_SAVE_AS = "tag/index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = "author/{slug}/index.html"
AUTHORS_URL = "author/"
AUTHORS_SAVE_AS = "author/index.html"
ARCHIVES_URL = "news/"
ARCHIVES_SAVE_AS = "news/index.html"
YEAR_ARCHIVE_URL = "news/{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "news/{date:%Y}/index.html"
MONTH_ARCHIVE_URL = "news/{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = "news/{date:%Y}/{date:%m}/index.html"
DEPUTY_URL = "deputies/{slug}/"
DEPUTY_SAVE_AS = "deputies/{slug}/index.html"
DEPUTIES_URL = "deputies/"
DEPUTIES_SAVE_AS = "deputies/index.html"
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# Feeds are written by plugins/feeds (feedgen, ids from 编号); Pelican's own are off.
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
FEEDS = {}  # see plugins/feeds/plan.py DEFAULTS: LENGTH (50), FOLDER, SUBSCRIBE_URL

# --- Public-site facts: the footer and the security policy ---------------------------
# Public-sector norms: ICP filing (linked to the filing site), public-security filing,
# the 党政机关网站标识 where one was granted, contact. Each is left out when empty.
ICP_NUMBER = "江ICP备00000000号-1"
ICP_URL = "https://beian.miit.gov.cn/"
PSB_NUMBER = "江公网安备00000000000000号"
PSB_URL = "https://beian.mps.gov.cn/"
# {"image": "images/<file>", "url": "<verification page>"} once the mark is granted.
GOV_SITE_MARK = None
CONTACT = {"通信地址": "江州市云溪区人民路1号 云溪区人大常委会办公室", "邮政编码": "000000"}

# One policy for the meta tag and the web server: nothing from another host, no
# inline script; WebAssembly for the search index (Pagefind). frame-ancestors only
# works as a header; the server adds it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'"
)

# --- Site facts: declared once, read everywhere -------------------------------------
# Column groups follow how a congress works: the three meetings, the three powers,
# and deputy profiles.
COLUMN_GROUPS = [
    {"name": "三会", "slug": "meetings"},
    {"name": "三权", "slug": "powers"},
    {"name": "代表风采", "slug": "deputies"},
]

COLUMNS = [
    {
        "name": "人民代表大会会议",
        "slug": "congress-session",
        "group": "三会",
        "aliases": ["人代会", "人民代表大会"],
    },
    {"name": "常委会会议", "slug": "standing-committee", "group": "三会", "aliases": ["常委会"]},
    {"name": "主任会议", "slug": "chairpersons-council", "group": "三会"},
    {"name": "监督", "slug": "oversight", "group": "三权", "aliases": ["监督工作"]},
    {
        "name": "重大事项决定",
        "slug": "major-decisions",
        "group": "三权",
        "aliases": ["重大事项", "讨论决定重大事项"],
    },
    {"name": "人事任免", "slug": "appointments", "group": "三权", "aliases": ["任免"]},
    {"name": "代表风采", "slug": "deputy-profiles", "group": "代表风采", "aliases": ["代表工作"]},
]

# level: national / provincial / city / district / media; online: published on the web.
OUTLETS = [
    {"name": "中国人大网", "slug": "npc-cn", "level": "national", "online": True},
    {
        "name": "《中国人大》杂志",
        "slug": "npc-magazine",
        "level": "national",
        "online": False,
        "aliases": ["中国人大杂志"],
    },
    {"name": "省人大网", "slug": "province-npc", "level": "provincial", "online": True},
    {
        "name": "《人民代表报》",
        "slug": "deputies-news",
        "level": "provincial",
        "online": False,
        "aliases": ["人民代表报"],
    },
    {
        "name": "市人大网",
        "slug": "city-npc",
        "level": "city",
        "online": True,
        "aliases": ["江州人大网"],
    },
    {
        "name": "《江州人大》",
        "slug": "city-magazine",
        "level": "city",
        "online": False,
        "aliases": ["江州人大"],
    },
    {"name": "星辰在线", "slug": "xingchen", "level": "media", "online": True},
    {"name": "云溪电视台", "slug": "yunxi-tv", "level": "media", "online": False},
    {"name": "云溪之窗", "slug": "yunxi-window", "level": "district", "online": True},
]

# type: office / committee / street / township (used by quotas and reports).
UNITS = [
    {
        "name": "区人大常委会办公室",
        "slug": "office",
        "type": "office",
        "aliases": ["办公室", "常委会办公室"],
    },
    {"name": "法制工作委员会", "slug": "legal-affairs", "type": "committee", "aliases": ["法工委"]},
    {
        "name": "财政经济工作委员会",
        "slug": "finance-economy",
        "type": "committee",
        "aliases": ["财经工委", "财经委"],
    },
    {
        "name": "教育科学文化卫生工作委员会",
        "slug": "education-health",
        "type": "committee",
        "aliases": ["教科文卫工委"],
    },
    {
        "name": "城乡建设环境保护工作委员会",
        "slug": "urban-rural",
        "type": "committee",
        "aliases": ["城环工委"],
    },
    {
        "name": "代表工作委员会",
        "slug": "deputy-affairs",
        "type": "committee",
        "aliases": ["代表工委"],
    },
    {"name": "青石街道人大工委", "slug": "qingshi-street", "type": "street"},
    {"name": "溪口街道人大工委", "slug": "xikou-street", "type": "street"},
    {"name": "桂花街道人大工委", "slug": "guihua-street", "type": "street"},
    {"name": "白沙镇人大主席团", "slug": "baisha-town", "type": "township"},
    {"name": "柳塘镇人大主席团", "slug": "liutang-town", "type": "township"},
]

# Deputies belong to a delegation, constituency or deputy group (代表团/选区/代表小组).
DELEGATIONS = [
    {"name": "青石选区", "slug": "qingshi", "aliases": ["青石街道选区"]},
    {"name": "溪口选区", "slug": "xikou", "aliases": ["溪口街道选区"]},
    {"name": "白沙镇代表小组", "slug": "baisha", "aliases": ["白沙镇选区", "白沙"]},
]

GENRES = [
    {"name": "消息", "slug": "news"},
    {"name": "通讯", "slug": "feature"},
    {"name": "专访", "slug": "interview"},
    {"name": "特写", "slug": "close-up"},
    {"name": "侧记", "slug": "sidelights"},
    {"name": "评论", "slug": "commentary"},
    {"name": "理论文章", "slug": "theory", "aliases": ["理论"]},
    {"name": "图片新闻", "slug": "photo", "aliases": ["图片"]},
]

# Optional: fixed ASCII slugs for tags and authors. Names not listed here get a short
# id derived from the exact name, so two different names never share a page.
TAG_SLUGS = {}
AUTHOR_SLUGS = {}

# The content-model plugin's own knobs (see plugins/content_model/config.py).
CONTENT_MODEL = {}

# The health check (plugins/health_check/config.py has every key): the sample
# archive was imported in one go when the project started.
HEALTH_CHECK = {"ARCHIVE_IMPORTED": "2026-11-22"}

# The tally (plugins/tally/config.py has every key and its default): the yearly target,
# quotas per role, reward rates per outlet level, and who is who.
TALLY = {
    "TARGET": 80,
    "ROSTER": {
        "林晓雯": {"role": "staff", "unit": "区人大常委会办公室"},
        "张卫东": {"role": "staff", "unit": "区人大常委会办公室"},
        "黄佳怡": {"role": "staff", "unit": "区人大常委会办公室"},
        "陈志远": {"role": "staff", "unit": "区人大常委会办公室"},
        "刘芳": {"role": "correspondent", "unit": "青石街道人大工委"},
        "彭勇": {"role": "correspondent", "unit": "溪口街道人大工委"},
        "邓丽": {"role": "correspondent", "unit": "桂花街道人大工委"},
        "胡斌": {"role": "correspondent", "unit": "白沙镇人大主席团"},
        "谢婷": {"role": "correspondent", "unit": "柳塘镇人大主席团"},
        "罗勇军": {"role": "correspondent", "unit": "代表工作委员会"},
    },
}
