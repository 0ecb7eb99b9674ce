"""What a first message means, matched locally: no network, no model download.

A customer's first words ("zip pw is infected, please analyse the attached file", "正規のメールが
迷惑メールと判定されます") are scored against example sentences written in customers' own words,
per category and language (BM25 over word stems for English and character bigrams for
Japanese), plus a few cues where a phrase decides more than its words ("not spam", a pasted
detection name with "our own tool", a change window). Everything is in this package's files
and in PyPI wheels; nothing is sent anywhere or downloaded.
"""
