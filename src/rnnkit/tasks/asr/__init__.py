"""Speech recognition: a recurrent acoustic model trained with CTC on recordings and their
transcripts, decoded greedily or by prefix beam search with a character n-gram."""
