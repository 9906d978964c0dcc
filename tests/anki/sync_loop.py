"""The desktop → sync server → phone loop, with Anki's own sync server.

Usage: sync_loop.py WORKDIR V1.apkg V2.apkg V3.apkg STUDIED_TERM

Starts `python -m anki.syncserver` on a free 127.0.0.1 port (stopped at the end), and
plays desktop and phone with two collections:
1. the desktop imports V1 and syncs (a full upload), the phone syncs down (full download);
2. the phone studies the card of STUDIED_TERM and syncs, the desktop syncs;
3. the desktop imports V2 (edited notes) and syncs, the phone syncs;
4. the desktop imports V3 (the note type's CSS changed) and syncs, the phone syncs.
Prints what each side saw as JSON, for the Rust test to check.
"""

import json
import os
import socket
import subprocess
import sys
import time

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def open_collection(workdir, name):
    os.makedirs(os.path.join(workdir, name), exist_ok=True)
    return Collection(os.path.join(workdir, name, "collection.anki2"))


def wait_media(col, auth):
    col.sync_media(auth)
    deadline = time.time() + 60
    while col.media_sync_status().active:
        if time.time() > deadline:
            raise SystemExit("media sync did not finish")
        time.sleep(0.05)


def sync(col, auth):
    """A normal sync; the first one is a full upload or download. Returns `required`."""
    status_before = col.sync_status(auth).required
    out = col.sync_collection(auth, False)
    required = out.required
    if required in (out.FULL_UPLOAD, out.FULL_DOWNLOAD, out.FULL_SYNC):
        upload = required == out.FULL_UPLOAD
        col.full_upload_or_download(auth=auth, server_usn=out.server_media_usn, upload=upload)
    wait_media(col, auth)
    names = {v: k for k, v in out.ChangesRequired.items()}
    # `before`: what the collection needed going in; `required`: what the sync asked for
    # (NO_CHANGES once a normal sync is done, FULL_* when it could not sync normally).
    return {"before": names.get(status_before, str(status_before)), "required": names.get(required, str(required))}


def snapshot(col):
    notes = []
    for nid in sorted(col.find_notes("")):
        note = col.get_note(nid)
        cards = []
        for card in note.cards():
            cards.append(
                {
                    "id": card.id,
                    "reps": card.reps,
                    "revlog": col.db.scalar("select count() from revlog where cid = ?", card.id),
                }
            )
        notes.append(
            {"id": note.id, "guid": note.guid, "fields": dict(zip(note.keys(), note.values())), "cards": cards}
        )
    check = col.media.check()
    # Straight from the backend: pylib's model cache would show the note type as it was
    # before an import or a sync changed it.
    ntid = col.models.id_for_name("notes2anki")
    model = json.loads(col._backend.get_notetype_legacy(ntid)) if ntid else None
    return {
        "notes": notes,
        "cards": len(col.find_cards("")),
        "media_files": sorted(os.listdir(col.media.dir())),
        "media_missing": sorted(check.missing),
        "css": model["css"] if model else "",
        "notetypes": sorted(n.name for n in col.models.all_names_and_ids()),
    }


def import_package(col, path):
    log = col.import_anki_package(
        ImportAnkiPackageRequest(package_path=os.path.abspath(path), options=ImportAnkiPackageOptions())
    ).log
    return {"new": len(log.new), "updated": len(log.updated), "conflicting": len(log.conflicting)}


def main():
    workdir, v1, v2, v3, studied = sys.argv[1:6]
    port = free_port()
    env = dict(
        os.environ,
        SYNC_USER1="user:pass",
        SYNC_BASE=os.path.join(workdir, "server"),
        SYNC_HOST="127.0.0.1",
        SYNC_PORT=str(port),
        RUST_LOG="error",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "anki.syncserver"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    result = {}
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("the sync server did not start: " + server.stderr.read().decode())
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}/"
        desktop, phone = open_collection(workdir, "desktop"), open_collection(workdir, "phone")
        auth_d = desktop.sync_login("user", "pass", endpoint)
        auth_p = phone.sync_login("user", "pass", endpoint)

        result["import1"] = import_package(desktop, v1)
        result["desktop_sync1"] = sync(desktop, auth_d)
        result["phone_sync1"] = sync(phone, auth_p)
        result["phone1"] = snapshot(phone)

        nid = [n for n in phone.find_notes("") if phone.get_note(n)["Term"] == studied][0]
        card = phone.get_note(nid).cards()[0]
        card.start_timer()
        phone.sched.answerCard(card, 3)
        result["phone_sync2"] = sync(phone, auth_p)
        result["desktop_sync2"] = sync(desktop, auth_d)

        result["import2"] = import_package(desktop, v2)
        result["desktop_sync3"] = sync(desktop, auth_d)
        result["phone_sync3"] = sync(phone, auth_p)
        result["phone3"] = snapshot(phone)

        result["import3"] = import_package(desktop, v3)
        result["desktop_sync4"] = sync(desktop, auth_d)
        result["phone_sync4"] = sync(phone, auth_p)
        result["phone4"] = snapshot(phone)
        result["desktop4"] = snapshot(desktop)
        desktop.close()
        phone.close()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
