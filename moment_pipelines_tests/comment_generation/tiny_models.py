"""Tiny Hugging Face models written with save_pretrained, so pretrained-stage tests never download anything."""

from pathlib import Path

from transformers import BartConfig, BartForConditionalGeneration, BertTokenizer, GPT2Config, GPT2LMHeadModel
from transformers.utils import logging as transformers_logging

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _character_tokenizer(texts: list[str]) -> BertTokenizer:
    """A BERT tokenizer whose vocabulary is every character of `texts`, as Chinese GPT-2 checkpoints ship.

    ASCII letters and digits also get a "##" continuation piece, so WordPiece
    can spell out numbers such as phone numbers instead of mapping them to [UNK].
    """
    characters = sorted({character for text in texts for character in text if not character.isspace()})
    continuations = [f"##{character}" for character in characters if character.isascii() and character.isalnum()]
    vocabulary = {token: index for index, token in enumerate([*SPECIAL, *characters, *continuations])}
    return BertTokenizer(vocab=vocabulary)


def write_tiny_gpt2(directory: Path, texts: list[str]) -> Path:
    """Save a 2-layer GPT-2 with a character vocabulary built from `texts` into `directory`."""
    transformers_logging.disable_progress_bar()
    tokenizer = _character_tokenizer(texts)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=128,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def write_tiny_bart(directory: Path, texts: list[str]) -> Path:
    """Save a 1+1-layer BART encoder-decoder with a character vocabulary built from `texts` into `directory`."""
    transformers_logging.disable_progress_bar()
    tokenizer = _character_tokenizer(texts)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        decoder_start_token_id=tokenizer.cls_token_id,
        forced_eos_token_id=None,
    )
    BartForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
