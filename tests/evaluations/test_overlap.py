from tenantguard.evaluations.overlap import RecordIndex, foreign_texts

BANK = ("I am Yara Lindqvist, account number BB-34199. please send my wire transfer to the Summit branch.\n"
        "Hello Yara, your wire transfer will be ready at the Summit branch on May 21; ask for manager Ivers.")
CLINIC = "I am Aiko Tanaka, patient number AH-48213. is my lab panel covered?\nyour lab panel is covered."
GREETING = "Hello, thank you for contacting support. Is there anything else I can help you with?"


def index():
    idx = RecordIndex()
    idx.add("bank", [BANK, GREETING])
    idx.add("clinic", [CLINIC, GREETING])
    idx.add("shop", [GREETING])
    idx.add_base(["how do I reset my password?\nuse the forgot password link on the login page."])
    return idx


def test_a_relabelled_copy_is_attributed_even_when_obfuscated():
    copy = BANK.upper().replace(" ", "  ").replace("a", "\u0430").replace("Summit", "Sum\u200bmit")
    found = foreign_texts(["my parcel is late, can you check where it is now?", copy], index(), reader="clinic")
    assert [(f.index, f.source_tenant) for f in found] == [(1, "bank")]
    assert "Lindqvist" not in found[0].masked_excerpt


def test_boilerplate_base_text_and_own_records_are_not_foreign():
    """Boilerplate: a text two or more other tenants hold, or the base corpus holds."""
    idx = index()
    assert foreign_texts([GREETING, CLINIC], idx, reader="clinic") == []
    assert foreign_texts(["how do I reset my password?\nuse the forgot password link on the login page."], idx) == []
    assert [f.source_tenant for f in foreign_texts([BANK], idx, reader=None)] == ["bank"]
