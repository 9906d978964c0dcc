"""Import a package into a fresh collection with the real Anki library; print the note count.

Usage: count_notes.py PACKAGE WORKDIR
"""

import os
import sys

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

package, workdir = sys.argv[1], sys.argv[2]
os.makedirs(workdir, exist_ok=True)
col = Collection(os.path.join(workdir, "collection.anki2"))
col.import_anki_package(
    ImportAnkiPackageRequest(package_path=os.path.abspath(package), options=ImportAnkiPackageOptions())
)
print(col.note_count(), len(col.find_cards("")))
col.close()
