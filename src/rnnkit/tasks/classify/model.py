"""The classifier: tokens (or the raw channels of a series, scaled per channel on the training
split) -> any rnnkit layer (deep, bidirectional) with each sequence's length -> pooling over
time -> linear head."""

from __future__ import annotations

from torch import Tensor, nn

from rnnkit.layers.pooling import Pooling


class Classifier(nn.Module):
    """Token embedding (texts) or the raw channels (series) -> rnnkit layer -> pooling -> head."""

    def __init__(self, config, input_size: int, num_classes: int, text: bool):
        """`config`: a ClassifyConfig (its network, embedding size and pooling)."""
        super().__init__()
        self.text = text
        self.embedding = nn.Embedding(input_size, config.embedding_size) if text else None
        self.rnn = config.build(config.embedding_size if text else input_size)
        self.pool = Pooling(config.pooling_for(text), self.rnn)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(self.pool.output_size, num_classes)

    def features(self, x: Tensor) -> Tensor:
        return self.dropout(self.embedding(x) if self.text else x)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        outputs, final = self.rnn(self.features(x), lengths)
        return self.head(self.dropout(self.pool(outputs, lengths, final)))
