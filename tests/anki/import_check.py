"""Import .apkg files into a fresh collection with the real Anki library and dump it.

Usage: import_check.py (current|legacy) WORKDIR PACKAGE [PACKAGE ...]

`current` uses Collection.import_anki_package (the Rust importer, Anki >= 2.1.50);
`legacy` uses anki.importing.apkg.AnkiPackageImporter (the Python importer older
desktops and AnkiDroid <= 2.16 run). The packages are imported in order into one new
collection; the result is printed as JSON on stdout for the Rust tests to check.
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
                    "question": card.question(),
                    "answer": card.answer(),
                }
            )
        notes.append(
            {
                "id": note.id,
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


def main():
    mode, workdir, packages = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "legacy":
        import anki.lang

        anki.lang.set_lang("en_US")
    from anki.collection import Collection

    os.makedirs(workdir, exist_ok=True)
    col = Collection(os.path.join(workdir, "collection.anki2"))
    try:
        imports = []
        for path in packages:
            if mode == "legacy":
                imports.append(import_legacy(col, os.path.abspath(path)))
            else:
                imports.append(import_current(col, os.path.abspath(path)))
        result = dump(col)
        result["imports"] = imports
        json.dump(result, sys.stdout, ensure_ascii=False)
    finally:
        col.close()


if __name__ == "__main__":
    main()
