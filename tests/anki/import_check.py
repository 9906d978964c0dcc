"""Import .apkg files into a collection with the real Anki library and dump it.

Usage: import_check.py (current|legacy) COLLECTION_DIR STEP [STEP ...]

A STEP is `import=PATH` (import a package), `answer=TERM` (answer the card of the note
whose Term field is TERM with "Good", as a user studying it would) or `find=QUERY`
(run a browser search). The collection in COLLECTION_DIR is created on first use and
kept, so a test can import, study, rebuild and import again.

`current` uses Collection.import_anki_package (the Rust importer, Anki >= 2.1.50);
`legacy` uses anki.importing.apkg.AnkiPackageImporter (the Python importer older
desktops and AnkiDroid <= 2.16 run). The collection is printed as JSON on stdout for
the Rust tests to check.
"""

import json
import os
import sys


def import_current(col, path):
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    request = ImportAnkiPackageRequest(
        package_path=path,
        options=ImportAnkiPackageOptions(with_scheduling=False, with_deck_configs=False),
    )
    log = col.import_anki_package(request).log
    return {
        "new": len(log.new),
        "updated": len(log.updated),
        "duplicate": len(log.duplicate),
        "conflicting": len(log.conflicting),
        "updated_ids": sorted(n.id.nid for n in log.updated),
    }


def import_legacy(col, path):
    from anki.importing.apkg import AnkiPackageImporter

    importer = AnkiPackageImporter(col, path)
    importer.run()
    return {"log": list(importer.log)[:2], "total": importer.total}


def dump(col):
    notes = []
    for nid in sorted(col.find_notes("")):
        note = col.get_note(nid)
        model = note.note_type()
        cards = []
        for card in sorted(note.cards(), key=lambda c: c.ord):
            cards.append(
                {
                    "id": card.id,
                    "ord": card.ord,
                    "deck": col.decks.name(card.did),
                    "due": card.due,
                    "type": card.type,
                    "queue": card.queue,
                    "reps": card.reps,
                    "ivl": card.ivl,
                    "revlog": col.db.scalar("select count() from revlog where cid = ?", card.id),
                    "question": card.question(),
                    "answer": card.answer(),
                }
            )
        sort_field, checksum = col.db.first("select sfld, csum from notes where id = ?", nid)
        notes.append(
            {
                "id": note.id,
                "sfld": sort_field,
                "csum": checksum,
                "guid": note.guid,
                "mod": note.mod,
                "notetype": model["name"],
                "notetype_id": model["id"],
                "fields": dict(zip(note.keys(), note.values())),
                "tags": sorted(note.tags),
                "cards": cards,
            }
        )
    check = col.media.check()
    media_dir = col.media.dir()
    return {
        "notes": notes,
        "decks": sorted(d["name"] for d in col.decks.all_names_and_ids()
                        for d in [{"name": d.name}]),
        "notetypes": sorted(m["name"] for m in col.models.all()),
        "media_files": sorted(os.listdir(media_dir)),
        "media_missing": sorted(check.missing),
        "media_unused": sorted(check.unused),
    }


def answer(col, term, legacy):
    nids = [nid for nid in col.find_notes("") if col.get_note(nid)["Term"] == term]
    if len(nids) != 1:
        raise SystemExit(f"answer={term}: {len(nids)} notes have that term")
    card = col.get_note(nids[0]).cards()[0]
    if legacy:
        col.sched.reset()  # the 2.1.54 v2 scheduler needs its queues built first
    card.start_timer()
    col.sched.answerCard(card, 3)


def main():
    mode, workdir, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "legacy":
        import anki.lang

        anki.lang.set_lang("en_US")
    from anki.collection import Collection

    os.makedirs(workdir, exist_ok=True)
    col = Collection(os.path.join(workdir, "collection.anki2"))
    try:
        imports, found = [], {}
        for step in steps:
            verb, _, arg = step.partition("=")
            if verb == "import" and mode == "legacy":
                imports.append(import_legacy(col, os.path.abspath(arg)))
            elif verb == "import":
                imports.append(import_current(col, os.path.abspath(arg)))
            elif verb == "answer":
                answer(col, arg, mode == "legacy")
            elif verb == "find":
                found[arg] = sorted(col.find_notes(arg))
            else:
                raise SystemExit(f"unknown step {step!r}")
        result = dump(col)
        result["imports"] = imports
        result["found"] = found
        json.dump(result, sys.stdout, ensure_ascii=False)
    finally:
        col.close()


if __name__ == "__main__":
    main()
