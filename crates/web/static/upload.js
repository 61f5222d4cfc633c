// Resumable upload of audio/video records over tus 1.0, without libraries.
// The file is sent in 8 MiB slices (never read whole); the upload's address is
// kept in localStorage, so choosing the same file again after a broken
// connection or a closed tab continues where the server says it stands.
(function () {
  'use strict';
  const form = document.getElementById('upload-form');
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const bar = document.getElementById('upload-progress');
  const status = document.getElementById('upload-status');
  const CHUNK = 8 * 1024 * 1024;
  const b64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
  const say = (text) => { status.textContent = text; };
  const headers = (extra) => Object.assign({ 'Tus-Resumable': '1.0.0', 'X-CSRF-Token': csrf }, extra);
  const key = (f) => `zhifa-upload:${f.name}:${f.size}:${f.lastModified}`;

  async function message(res) {
    try { return (await res.json()).message || res.statusText; } catch (_) { return res.statusText; }
  }

  async function create(file, fields) {
    const meta = Object.entries(fields).map(([k, v]) => `${k} ${b64(v)}`).join(',');
    const res = await fetch('/api/v1/uploads', {
      method: 'POST', credentials: 'same-origin',
      headers: headers({ 'Upload-Length': String(file.size), 'Upload-Metadata': meta }),
    });
    if (res.status !== 201) throw new Error(await message(res));
    return res.headers.get('Location');
  }

  async function offsetOf(url) {
    const res = await fetch(url, { method: 'HEAD', credentials: 'same-origin', headers: headers({}) });
    if (!res.ok) return null;
    return Number(res.headers.get('Upload-Offset'));
  }

  function send(url, file, offset) {
    return new Promise((resolve, reject) => {
      const slice = file.slice(offset, Math.min(offset + CHUNK, file.size));
      const xhr = new XMLHttpRequest();
      xhr.open('PATCH', url);
      const h = headers({ 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' });
      for (const [k, v] of Object.entries(h)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => { bar.value = offset + e.loaded; };
      xhr.onload = () => (xhr.status === 204
        ? resolve(Number(xhr.getResponseHeader('Upload-Offset')))
        : reject(new Error(`服务器拒绝（${xhr.status}）`)));
      xhr.onerror = () => reject(new Error('网络中断'));
      xhr.send(slice);
    });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) { say('请选择文件'); return; }
    const captured = new Date(form.elements.captured_at.value);
    if (Number.isNaN(captured.getTime())) { say('请填写采集时间'); return; }
    const fields = {
      case_number: form.elements.case_number.value, step: form.elements.step.value,
      captured_at: captured.toISOString(), place: form.elements.place.value,
      collector: form.elements.collector.value, proves: form.elements.proves.value,
      filename: file.name, filetype: file.type || 'application/octet-stream',
    };
    bar.max = file.size;
    form.elements.submit.disabled = true;
    try {
      let url = localStorage.getItem(key(file));
      let offset = url ? await offsetOf(url) : null;
      if (offset === null) {
        url = await create(file, fields);
        localStorage.setItem(key(file), url);
        offset = 0;
      } else {
        say(`继续上传：已有 ${offset} 字节`);
      }
      let failures = 0;
      while (offset < file.size) {
        try {
          offset = await send(url, file, offset);
          failures = 0;
          say(`已上传 ${Math.floor((offset / file.size) * 100)}%`);
        } catch (e) {
          failures += 1;
          if (failures > 5) throw e;
          say(`${e.message}，正在重试…`);
          await new Promise((r) => setTimeout(r, 1000 * failures));
          const now = await offsetOf(url);
          if (now !== null) offset = now;
        }
      }
      localStorage.removeItem(key(file));
      bar.value = file.size;
      say(`上传完成，编号 ${url.split('/').pop()}`);
    } catch (e) {
      say(`上传失败：${e.message}。再次选择同一文件可继续上传。`);
    } finally {
      form.elements.submit.disabled = false;
    }
  });
})();
