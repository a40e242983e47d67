// The checkout snippet. Merchants paste one tag:
//   <script async src="https://<api>/snippet/v1.js" data-key="pk_…"></script>
// and call aff('conversion', {…}) or aff('lead', {…}) through a queue stub that works before the
// script has loaded. It must never throw into the page, never block it, and stay under 1 KB gzipped.
((w, d) => {
  try {
    const s = d.currentScript;
    const attr = (name, fallback) => s.getAttribute(`data-${name}`) || fallback;
    const key = attr('key');
    const api = attr('api', new URL(s.src).origin).replace(/\/$/, '');
    const program = attr('program');
    let days = +attr('days', 90);
    let consented = attr('consent') !== 'required';
    const store = w.localStorage;
    const P = 'aff_';

    const read = (name) => {
      const m = d.cookie.match(`(?:^|; )${P}${name}=([^;]*)`);
      return m ? decodeURIComponent(m[1]) : store.getItem(P + name);
    };
    // First-party cookie on the registrable domain: the broadest domain the browser accepts.
    const write = (name, value) => {
      const parts = location.hostname.split('.');
      const base = `${P}${name}=${encodeURIComponent(value)};path=/;max-age=${days * 86400};SameSite=Lax`;
      for (let i = parts.length - 2; i >= 0 && !/^[\d.]+$/.test(location.hostname); i--) {
        d.cookie = `${base};domain=${parts.slice(i).join('.')}`;
        if (d.cookie.includes(`${P}${name}=`)) break;
      }
      if (!d.cookie.includes(`${P}${name}=`)) d.cookie = base;
      store.setItem(P + name, value);
    };

    // text/plain JSON: no CORS preflight. Retried on network errors and 5xx, a few times.
    const send = (path, body, tries = 4) =>
      fetch(api + path, {
        method: 'POST',
        keepalive: true,
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ key, programId: program, ...body }),
      })
        .then((r) => (r.status < 500 ? r.json() : Promise.reject()))
        .catch(
          () =>
            tries > 1 &&
            new Promise((ok) => setTimeout(ok, 1000 * 2 ** (4 - tries))).then(() =>
              send(path, body, tries - 1),
            ),
        );

    const q = new URLSearchParams(location.search);
    const landed = () => {
      const id = q.get(attr('param', 'ref_id'));
      const via = q.get(attr('via', 'via'));
      if (id) write('cid', id);
      else if (via)
        send('/track/click', { via, url: location.href, referrer: d.referrer }).then((r) => {
          // Kept as long as the program's cookie window lasts.
          days = r?.cookieWindowDays || days;
          r?.clickId && write('cid', r.clickId);
        });
    };

    const track = (type, data) => {
      const id = data.orderId || data.leadId;
      // Once per order, even across reloads (the server is idempotent too).
      if (!id || store.getItem(P + id)) return;
      send('/track/conversion', {
        type,
        clickId: read('cid') || undefined,
        couponCode: data.coupon,
        ...data,
      }).then((r) => r && consented && store.setItem(P + id, 1));
    };

    const calls = {
      conversion: (data) => track('sale', data),
      lead: (data) => track('lead', data),
      consent: () => {
        if (consented) return;
        consented = true;
        landed();
      },
    };
    const run = (args) => {
      try {
        calls[args[0]]?.(args[1] || {});
      } catch {}
    };
    if (consented) landed();
    for (const args of w.aff?.q || []) run(args);
    w.aff = (...args) => run(args);
  } catch {}
})(window, document);
