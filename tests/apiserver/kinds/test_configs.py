"""ConfigMaps and Secrets: keys, size, `immutable` and stringData, in v1.32's words."""

from __future__ import annotations

from listwatch.apiserver.kinds import configs


def test_config_keys_follow_is_config_map_key() -> None:
    assert configs.key_problems("game.properties") == []
    assert configs.key_problems("..hidden") == ["must not start with '..'"]
    assert configs.key_problems("a/b")[0].startswith("a valid config key must consist of")


def test_a_config_map_with_a_bad_or_duplicate_key_is_invalid() -> None:
    cm = {"metadata": {"name": "c"}, "data": {"a/b": "1", "k": "v"}, "binaryData": {"k": "AA=="}}
    problems = configs.validate_config_map(cm)
    assert problems[0].startswith('data[a/b]: Invalid value: "a/b": a valid config key')
    assert 'data[k]: Invalid value: "k": duplicate of key present in binaryData' in problems


def test_a_config_map_over_one_mebibyte_is_too_long() -> None:
    cm = {"metadata": {"name": "c"}, "data": {"big": "x" * (configs.MAX_SIZE + 1)}}
    assert configs.validate_config_map(cm) == [": Too long: may not be more than 1048576 bytes"]


def test_an_immutable_config_map_keeps_its_data_and_stays_immutable() -> None:
    old = {"metadata": {"name": "c"}, "data": {"a": "1"}, "immutable": True}
    assert configs.validate_config_map_update(old, {**old, "data": {"a": "2"}}) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]
    assert configs.validate_config_map_update(old, {**old, "immutable": False}) == [
        "immutable: Forbidden: field is immutable when `immutable` is set"
    ]


def test_string_data_is_stored_base64_encoded_in_data() -> None:
    written = configs.secret_on_write({"data": {"a": "MQ=="}, "stringData": {"b": "two"}})
    assert written == {"data": {"a": "MQ==", "b": "dHdv"}}


def test_a_secret_of_a_typed_kind_needs_its_keys() -> None:
    tls = {"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "AA=="}}
    assert configs.validate_secret(tls) == ["data[tls.key]: Required value"]
    token = {"metadata": {"name": "s"}, "type": "kubernetes.io/service-account-token"}
    assert configs.validate_secret(token) == [
        "metadata.annotations[kubernetes.io/service-account.name]: Required value"
    ]
