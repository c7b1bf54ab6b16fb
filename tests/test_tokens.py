import base64
import re

from followthrough.tokens import new_public_id, new_public_ids


def test_it_makes_batch_ids_of_the_same_shape_as_single_ones():
    single = new_public_id()
    batch = new_public_ids(500)
    assert {len(token) for token in batch} == {len(single)} == {22}
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", token) for token in batch)


def test_it_makes_batch_ids_that_carry_128_random_bits_each():
    batch = new_public_ids(1000)
    assert len(set(batch)) == 1000
    assert {len(base64.urlsafe_b64decode(token + "==")) for token in batch} == {16}


def test_it_makes_batch_ids_that_read_exactly_as_their_bytes_encoded_one_by_one():
    batch = new_public_ids(300)
    raw = [base64.urlsafe_b64decode(token + "==") for token in batch]
    assert [base64.urlsafe_b64encode(b).rstrip(b"=").decode() for b in raw] == batch
