from liangxian.core.keys import MAX_KEY, as_key


def test_a_key_is_ascii_digits_within_a_bigint() -> None:
    assert as_key("42") == 42
    assert as_key(str(MAX_KEY)) == MAX_KEY
    for text in ("", None, "²", "٣", "４２", "-1", "1.0", " 1", str(MAX_KEY + 1)):
        assert as_key(text) is None, text
