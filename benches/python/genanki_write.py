"""Write N plain notes with genanki 0.13.1: the peer baseline of the benchmark.

Usage: genanki_write.py N OUTPUT.apkg
"""

import sys

import genanki

MODEL = genanki.Model(
    1607392319,
    "Bench",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card", "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
)


def main():
    count, output = int(sys.argv[1]), sys.argv[2]
    deck = genanki.Deck(2059400110, "Bench")
    for i in range(count):
        deck.add_note(
            genanki.Note(
                model=MODEL,
                fields=[
                    f"Amazon S3 の設定 {i}",
                    f"複数のアカウントを効率的に管理するためのサービス。10.0.0.{i % 250 + 1}:3128 <code>aws configure --profile p{i}</code>",
                ],
            )
        )
    genanki.Package(deck).write_to_file(output)


if __name__ == "__main__":
    main()
