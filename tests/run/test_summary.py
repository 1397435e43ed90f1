from torch import nn

from rnnkit.run.summary import parameter_table


def test_parameters_per_module_count_shared_weights_once():
    model = nn.Module()
    model.embedding = nn.Embedding(10, 4)  # 40
    model.rnn = nn.GRU(4, 4)  # 3·4·(4 + 4) + 2·3·4 = 120
    model.head = nn.Linear(4, 10)  # 50, its weight tied to the embedding's
    model.head.weight = model.embedding.weight
    rows = dict(parameter_table(model))
    assert rows == {"embedding": 40, "rnn": 120, "head": 10, "total": 170}
    assert rows["total"] == sum(p.numel() for p in model.parameters())
