// embrec serve page: plain ES module, no dependencies, talks to the JSON API of the same origin.
const $ = (id) => document.getElementById(id);
const chosen = new Map();

async function api(path, body) {
  const res = await fetch(
    path,
    body === undefined
      ? {}
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
  );
  const json = await res.json();
  if (!res.ok) throw new Error(json.message ?? `HTTP ${res.status}`);
  return json;
}

function showError(e) {
  $('error').textContent = e ? String(e.message ?? e) : '';
}

function itemLi(item, { score, stage, onClick } = {}) {
  const li = document.createElement('li');
  li.dataset.id = item.id;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = item.name ? `${item.name} (${item.id})` : item.id;
  li.append(name);
  if (score !== undefined) {
    const s = document.createElement('span');
    s.className = 'score';
    s.textContent = Number(score).toFixed(3);
    li.append(s);
  }
  if (stage !== undefined) {
    const s = document.createElement('span');
    s.className = `stage ${stage}`;
    s.textContent = stage;
    li.append(s);
  }
  li.addEventListener('click', onClick ?? (() => neighbours(item)));
  return li;
}

function fill(list, items, opts) {
  $(list).replaceChildren(...items.map((it) => itemLi(it, opts?.(it) ?? {})));
}

function showRecs(title, r) {
  $('recs-title').textContent = title;
  $('recs-note').textContent =
    r.note ??
    `source: ${r.source}; stages: ${Object.entries(r.stages)
      .map(([s, ms]) => `${s} ${ms.toFixed(2)} ms`)
      .join(', ')}`;
  fill('recs', r.items, (it) => ({ score: it.score, stage: it.stage }));
}

/** `rank: false` when the box is cleared; nothing otherwise (a bundle without a ranker refuses `rank: true`). */
function rankOption() {
  return $('rank').checked ? {} : { rank: false };
}

async function pickUser(id) {
  try {
    showError();
    const [u, r] = await Promise.all([
      api(`/v1/users/${encodeURIComponent(id)}`),
      api('/v1/recommend', { user: id, k: 20, rerank: $('rerank').checked, ...rankOption() }),
    ]);
    $('history-title').textContent = `History of user ${id} (${u.history.length})`;
    fill('history', u.history.slice(0, 50));
    showRecs(`Recommendations for user ${id}`, r);
  } catch (e) {
    showError(e);
  }
}

async function neighbours(item) {
  try {
    showError();
    const r = await api('/v1/similar', { item: item.id, k: 10 });
    $('similar-title').textContent = `Neighbours of ${item.name ?? item.id}`;
    fill('similar', r.items, (it) => ({ score: it.score }));
  } catch (e) {
    showError(e);
  }
}

$('user-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    showError();
    const q = $('user-search').value.trim();
    const r = await api(`/v1/users?q=${encodeURIComponent(q)}&limit=20`);
    $('user-results').replaceChildren(
      ...r.users.map((u) => {
        const li = document.createElement('li');
        li.dataset.id = u.id;
        li.textContent = `${u.id} (${u.interactions} items)`;
        li.addEventListener('click', () => pickUser(u.id));
        return li;
      }),
    );
    if (r.users.length === 1 || r.users.some((u) => u.id === q))
      await pickUser(r.users.find((u) => u.id === q)?.id ?? r.users[0].id);
    if (r.users.length === 0) showError(`no user matches "${q}"`);
  } catch (e) {
    showError(e);
  }
});

$('new-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    showError();
    const r = await api(`/v1/items?q=${encodeURIComponent($('item-search').value.trim())}&limit=20`);
    fill('item-results', r.items, (it) => ({
      onClick: () => {
        chosen.set(it.id, it);
        $('chosen').textContent = [...chosen.values()].map((c) => c.name ?? c.id).join(', ');
      },
    }));
  } catch (e) {
    showError(e);
  }
});

$('new-go').addEventListener('click', async () => {
  try {
    showError();
    const r = await api('/v1/recommend/new-user', {
      items: [...chosen.keys()],
      k: 20,
      rerank: $('rerank').checked,
    });
    showRecs(`Recommendations for a new user (${chosen.size} items)`, r);
  } catch (e) {
    showError(e);
  }
});

$('new-clear').addEventListener('click', () => {
  chosen.clear();
  $('chosen').textContent = 'none';
});

api('/v1/info')
  .then((i) => {
    const s = i.manifest.source;
    $('info').textContent =
      `${s.experiment} · model ${s.model} · ${i.manifest.items} items · ${i.manifest.users} users · bundle ${i.version}`;
    document.body.dataset.ready = 'true';
  })
  .catch(showError);
