/* The search page: Pagefind's index, queried from the site itself, with our own
   Chinese interface. No inline styles or HTML from the index are injected. */
const form = document.querySelector(".search-form");
const input = document.querySelector("#search-query");
const status = document.querySelector(".search-status");
const list = document.querySelector(".search-results");
const selects = [...document.querySelectorAll("[data-filter]")];
const PAGE = 20;
let pagefind = null;
let latest = 0;
let pending = [];
const more = document.createElement("button");
more.type = "button";
more.className = "search-more";
more.textContent = "显示更多结果";
more.hidden = true;
list.after(more);

async function showMore() {
  const ticket = latest;
  const batch = pending.splice(0, PAGE);
  const pages = await Promise.all(batch.map((r) => r.data()));
  if (ticket !== latest) {
    return;
  }
  list.append(...pages.map(resultNode));
  more.hidden = pending.length === 0;
}
more.addEventListener("click", showMore);

function say(text) {
  status.textContent = text;
}

// Pagefind marks matches as <mark>…</mark> in an otherwise plain excerpt; keep the
// marks, treat everything else as text.
function excerptNode(excerpt) {
  const paragraph = document.createElement("p");
  paragraph.className = "item-summary";
  excerpt.split(/(<mark>.*?<\/mark>)/).forEach((part) => {
    const marked = part.match(/^<mark>(.*)<\/mark>$/);
    const text = (marked ? marked[1] : part).replace(/<[^>]*>/g, "")
      .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"")
      .replace(/&#39;/g, "'").replace(/&amp;/g, "&");
    if (marked) {
      const mark = document.createElement("mark");
      mark.textContent = text;
      paragraph.append(mark);
    } else {
      paragraph.append(text);
    }
  });
  return paragraph;
}

function resultNode(data) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.className = "item-link";
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  const meta = document.createElement("span");
  meta.className = "item-meta";
  meta.textContent = [data.meta.date, data.meta.column].filter(Boolean).join(" · ");
  item.append(link, meta, excerptNode(data.excerpt || ""));
  return item;
}

function chosenFilters() {
  const filters = {};
  selects.forEach((select) => {
    if (select.value) {
      filters[select.dataset.filter] = select.value;
    }
  });
  return filters;
}

async function run() {
  const query = input.value.trim();
  const filters = chosenFilters();
  const ticket = ++latest;
  list.replaceChildren();
  pending = [];
  more.hidden = true;
  if (!query && !Object.keys(filters).length) {
    say("请输入关键词，例如“监督”“常委会会议”。");
    return;
  }
  say("正在搜索……");
  const search = await pagefind.search(query || null, { filters, sort: query ? undefined : { date: "desc" } });
  if (ticket !== latest) {
    return; // a newer search has started
  }
  const found = search.results.length;
  if (!found) {
    say(query ? `没有找到包含“${query}”的稿件。可以换一个关键词，或减少筛选条件。` : "没有符合筛选条件的稿件。");
    return;
  }
  pending = [...search.results];
  await showMore();
  if (ticket !== latest) {
    return;
  }
  say(`找到 ${found} 篇稿件。`);
}

function fillFilters(available) {
  selects.forEach((select) => {
    const values = Object.keys(available[select.dataset.filter] || {});
    values.sort((a, b) => (select.dataset.filter === "年份" ? b.localeCompare(a) : a.localeCompare(b, "zh-CN")));
    values.forEach((value) => select.append(new Option(value, value)));
  });
  document.querySelector(".search-filters").hidden = false;
}

async function start() {
  try {
    pagefind = await import(`${form.dataset.index}pagefind.js`);
    await pagefind.options({ excerptLength: 40 });
    fillFilters(await pagefind.filters());
  } catch (error) {
    say("搜索索引尚未生成：请用 invoke build 生成网站后再试。");
    return;
  }
  const params = new URLSearchParams(window.location.search);
  input.value = params.get("q") || "";
  selects.forEach((select) => {
    select.value = params.get(select.dataset.filter) || "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (input.value.trim()) {
      next.set("q", input.value.trim());
    }
    Object.entries(chosenFilters()).forEach(([key, value]) => next.set(key, value));
    window.history.replaceState(null, "", `?${next}`);
    run();
  });
  selects.forEach((select) => select.addEventListener("change", () => form.requestSubmit()));
  run();
}

start();
