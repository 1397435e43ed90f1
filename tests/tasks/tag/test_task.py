"""The tagger: a sentence alone or in a padded batch gets the same scores and tags; BIOES given
back as BIO."""


import pytest
import torch

from rnnkit.config import load_config
from rnnkit.data.conll import Sentence
from rnnkit.tasks.tag.data import Vocabularies, collate
from rnnkit.tasks.tag.spec import TagConfig
from rnnkit.tasks.tag.task import TagTask

CPU = torch.device("cpu")


def tag_task(output):
    sentences = [Sentence("John lives in Paris".split(), ["B-PER", "O", "O", "B-LOC"]),
                 Sentence("Mary Ann went home".split(), ["B-PER", "I-PER", "O", "O"]),
                 Sentence("Rome".split(), ["B-LOC"])]
    config = load_config(TagConfig, None, {"output": output, "hidden_size": 6, "bioes": True,
                                           "word_embedding_size": 5, "char_hidden_size": 4})
    vocab = Vocabularies.build(sentences, config)
    return TagTask(config, vocab, CPU, {"train": sentences}), sentences


@pytest.mark.parametrize("output", ["softmax", "crf"])
def test_a_sentence_alone_or_in_a_padded_batch_gets_the_same_tags_and_scores(output):
    task, _ = tag_task(output)
    model = task.build_model().eval()
    encoded = task.parts["train"]
    words, chars, char_lengths, lengths, _ = collate(encoded, [0, 1, 2])
    together = model.emissions(words, chars, char_lengths, lengths)
    for i in range(3):
        alone = model.emissions(*collate(encoded, [i])[:4])
        n = int(lengths[i])
        torch.testing.assert_close(alone[0, :n], together[i, :n])
    predicted, _ = task.predict(model, encoded)
    assert [len(p) for p in predicted] == [4, 4, 1]
    assert all(t[:2] in ("O", "B-", "I-") for p in predicted for t in p)  # BIOES given back as BIO
