import pytest

from promoter.accounts.models import ApiKey
from promoter.accounts.services import api_key_authenticate, api_key_create, api_key_revoke
from promoter.core.ids import hash_secret


@pytest.fixture
def new_key(world):
    return api_key_create(project=world.alpha, name="CI", created_by=world.owner)


def test_key_is_prefixed_and_only_its_hash_is_stored(new_key):
    assert new_key.secret.startswith("sk_")
    stored = ApiKey.objects.get(pk=new_key.api_key.pk)
    lookup, _, secret = new_key.secret.removeprefix("sk_").partition("_")
    assert stored.lookup == lookup
    assert stored.hashed == hash_secret(secret)
    assert secret not in {stored.lookup, stored.hashed, stored.name}
    assert len(secret) >= 32


def test_lookup_finds_the_key_and_its_project(new_key, world):
    found = api_key_authenticate(key=new_key.secret)
    assert found == new_key.api_key
    assert found.project == world.alpha
    assert found.read_only is False


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # wrong secret, right lookup
        lambda k: k.replace("sk_", "pk_"),  # wrong kind
        lambda k: k.split("_")[0] + "_" + k.split("_")[1],  # secret missing
        lambda k: "sk_short_" + k.split("_")[2],  # malformed lookup
        lambda k: "",
    ],
)
def test_wrong_keys_are_refused(new_key, mangle):
    assert api_key_authenticate(key=mangle(new_key.secret)) is None


def test_revoked_key_is_refused(new_key):
    api_key_revoke(api_key=new_key.api_key)
    assert api_key_authenticate(key=new_key.secret) is None


def test_read_only_flag_and_distinct_keys(world):
    a = api_key_create(project=world.alpha, name="read", read_only=True)
    b = api_key_create(project=world.beta, name="other")
    assert a.secret != b.secret
    assert api_key_authenticate(key=a.secret).read_only is True
    assert api_key_authenticate(key=b.secret).project == world.beta
