#!/usr/bin/env python3
"""Check `lovart gallery` in a real browser: headless Chromium, offline.

Generates files of every kind against a local `lovart sandbox --fast`
(images, four variations, a WAV, a GLB, an MP4) into a `--name` template with
sub-folders and sidecars, writes the gallery, and opens it in headless
Chromium (Debian's `chromium`; installed with apt-get when missing):

1. A copy of the page with a probe script (its Content-Security-Policy only
   gains `script-src 'unsafe-inline'`; what it allows for images and media is
   the page's own) records every resource error, CSP violation and console
   error, waits for every image to decode, and writes a JSON verdict into the
   DOM, which `--dump-dom` prints. Any error, or any image that did not load,
   fails the check. Chromium's own stderr is searched for refused loads too.
2. The page itself is screenshot at a phone's width (412 px) and kept:
   target/gallery-check/gallery.png (or --screenshot PATH); the path is printed.
   The screenshot is for people to look at, not a gate: when Chromium writes
   none (seen once on CI, not reproduced here), it is tried once more with
   shared memory off, then reported as a warning with Chromium's own lines
   (D-Bus noise left out) and "screenshot": null.

Usage: scripts/check_gallery.py [--lovart target/debug/lovart] [--screenshot PATH]
Exit 0 when the page passes; 1 with the reasons otherwise.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
]
# Lines every headless Chromium prints in a container; they say nothing about the page.
NOISE = ("dbus/", "crashpad", "unexpected operator")
# Collects every error the page could log, then reports once all images decoded.
PROBE = """<script>
window.__problems = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  if (t && t !== window && (t.src || t.currentSrc)) {
    __problems.push('load failed: <' + t.tagName.toLowerCase() + '> ' + (t.currentSrc || t.src));
  } else {
    __problems.push('script error: ' + e.message);
  }
}, true);
document.addEventListener('securitypolicyviolation', function (e) {
  __problems.push('CSP refused ' + e.blockedURI + ' (' + e.violatedDirective + ')');
});
['error', 'warn'].forEach(function (level) {
  var original = console[level];
  console[level] = function () {
    __problems.push('console.' + level + ': ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
});
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  images.forEach(function (img) { img.loading = 'eager'; });
  Promise.all(images.map(function (img) {
    return img.decode().then(function () { return null; },
                             function () { return 'image did not decode: ' + img.src; });
  })).then(function (failed) {
    var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
    var verdict = {
      images: images.length,
      loaded: loaded.length,
      videos: document.querySelectorAll('video').length,
      audios: document.querySelectorAll('audio').length,
      links: document.querySelectorAll('a.file').length,
      sections: document.querySelectorAll('section').length,
      width: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      problems: __problems.concat(failed.filter(Boolean))
    };
    var pre = document.createElement('pre');
    pre.id = 'gallery-check';
    pre.textContent = JSON.stringify(verdict);
    document.body.appendChild(pre);
  });
});
</script>
"""


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def install_chromium():
    """Debian's `chromium` package, by name (CI starts without it)."""
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("check_gallery: installing chromium with apt-get", file=sys.stderr)
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=False, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return find_chromium()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(lovart, log):
    port = free_port()
    proc = subprocess.Popen(
        [lovart, "sandbox", "--fast", "--ephemeral", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=log, env={"PATH": os.environ.get("PATH", "")},
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    sys.exit("check_gallery: the sandbox did not start")


def lovart_env(home, base_url):
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
        "LOVART_BASE_URL": base_url,
        "LOVART_ACCESS_KEY": "ak_sandbox",
        "LOVART_SECRET_KEY": "sk_sandbox",
        "LOVART_WAIT_SCALE": "0.01",
    }


def run(cmd, env, what):
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"check_gallery: {what} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def generate(lovart, env, out):
    """Files of every kind, named by a template with sub-folders, with sidecars."""
    template = "{project}/{type}/{prompt}-{index}.{ext}"
    common = ["--json", "--download", "--output-dir", out, "--name", template, "--sidecar"]
    run([lovart, "set-mode", "--unlimited"], env, "set-mode")  # video without a confirmation
    for prompt in ("a cat on the moon", "four variations of a lighthouse", "a calm song",
                   "a 3d model of a teapot", "a short video of waves",
                   "a <b>bold</b> & \"quoted\" prompt, 猫"):
        run([lovart, "chat", "--prompt", prompt, *common], env, f"chat {prompt!r}")


def chromium(browser, profile, *args, timeout=90):
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lovart", default=os.path.join(ROOT, "target", "debug", "lovart"))
    parser.add_argument("--screenshot",
                        default=os.path.join(ROOT, "target", "gallery-check", "gallery.png"))
    args = parser.parse_args()
    if not os.path.exists(args.lovart):
        subprocess.run(["cargo", "build", "--locked", "-q"], cwd=ROOT, check=True)
    browser = find_chromium() or install_chromium()
    if not browser:
        sys.exit("check_gallery: no chromium, and apt-get could not install it")

    work = tempfile.mkdtemp(prefix="lovart-gallery-check-")
    log = open(os.path.join(work, "sandbox.log"), "w")
    sandbox, base_url = start_sandbox(args.lovart, log)
    try:
        home = os.path.join(work, "home")
        os.makedirs(home)
        env = lovart_env(home, base_url)
        generate(args.lovart, env, os.path.join(work, "out"))
        page = os.path.join(work, "gallery.html")
        made = json.loads(run([args.lovart, "gallery", "--out", page, "--json"], env, "gallery"))
    finally:
        sandbox.terminate()
        sandbox.wait()
        log.close()

    html = open(page, encoding="utf-8").read()
    csp = "default-src 'none';"
    if csp not in html or "<head>" not in html:
        sys.exit("check_gallery: the page has no default-src 'none' policy")
    probed = html.replace(csp, csp + " script-src 'unsafe-inline';", 1)
    probed = probed.replace("<head>", "<head>\n" + PROBE, 1)
    probe_page = os.path.join(work, "gallery-probe.html")
    with open(probe_page, "w", encoding="utf-8") as f:
        f.write(probed)

    # Headless Chromium now and then dumps the DOM before the probe has
    # written its verdict (seen once in about ten runs): a second run is
    # asked then. A page that never reports in two runs fails.
    for attempt in range(2):
        started = time.monotonic()
        dumped = chromium(browser, os.path.join(work, f"profile-probe-{attempt}"),
                          "--enable-logging=stderr", "--v=0", "--window-size=412,900",
                          "--virtual-time-budget=15000", "--dump-dom", "file://" + probe_page)
        probe_seconds = time.monotonic() - started
        match = re.search(r'<pre id="gallery-check">(.*?)</pre>', dumped.stdout, re.S)
        if match:
            break
    problems = []
    if not match:
        problems.append("the probe never reported (page did not finish loading)")
        verdict = {}
    else:
        verdict = json.loads(match.group(1).replace("&quot;", '"').replace("&lt;", "<")
                             .replace("&gt;", ">").replace("&amp;", "&"))
        problems += verdict["problems"]
        if verdict["images"] == 0 or verdict["loaded"] != verdict["images"]:
            problems.append(f"{verdict['loaded']} of {verdict['images']} images loaded")
        if verdict["width"] > verdict["viewport"]:
            problems.append(f"the page is {verdict['width']} px wide in a "
                            f"{verdict['viewport']} px window (scrolls sideways)")
    for line in dumped.stderr.splitlines():
        if "CONSOLE" in line or "Not allowed to load local resource" in line:
            problems.append("chromium: " + line.strip())

    shot_path = os.path.abspath(args.screenshot)
    os.makedirs(os.path.dirname(shot_path), exist_ok=True)
    if os.path.exists(shot_path):
        os.remove(shot_path)  # a stale picture must not pass for this run's
    said = []
    for attempt, extra in enumerate(([], ["--disable-dev-shm-usage"])):
        shot = chromium(browser, os.path.join(work, f"profile-shot-{attempt}"),
                        "--window-size=412,1800", "--virtual-time-budget=10000", *extra,
                        f"--screenshot={shot_path}", "file://" + page)
        if os.path.exists(shot_path):
            break
        said += [f"attempt {attempt + 1} (exit {shot.returncode}): {line.strip()}"
                 for line in shot.stderr.splitlines()
                 if line.strip() and not any(n in line for n in NOISE)]
    if not os.path.exists(shot_path):
        shot_path = None
        print("check_gallery: warning: Chromium wrote no screenshot (the page check above "
              "still stands)", file=sys.stderr)
        for line in said[-20:]:
            print("  " + line, file=sys.stderr)

    summary = {
        "gallery": page,
        "files": made.get("files"),
        "threads": made.get("threads"),
        "images": verdict.get("images"),
        "images_loaded": verdict.get("loaded"),
        "videos": verdict.get("videos"),
        "audios": verdict.get("audios"),
        "links": verdict.get("links"),
        "page_width_px": verdict.get("width"),
        "window_width_px": verdict.get("viewport"),
        "probe_seconds": round(probe_seconds, 2),
        "screenshot": shot_path,
        "problems": problems,
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if problems:
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
