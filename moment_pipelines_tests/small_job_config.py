"""Run config that trains every scenario of main_job in seconds, for tests that run the whole job."""

# A demo on which every scenario still has rows in all of its splits; with 150 moments
# the recommendation validation period has no interactions.
SMALL_DEMO_MOMENTS = 400

# One epoch and small layers for every training asset, so that each trains in seconds.
# Assets not listed keep their defaults.
SMALL_TRAINING_OPS_CONFIG = {
    "like_count_model": {"config": {"epochs": 1, "patience": 1}},
    "like_behavior_model": {"config": {"epochs": 1, "patience": 1}},
    "comment_vocabulary": {"config": {"max_size": 500}},
    "comment_seq2seq_model": {
        "config": {
            "epochs": 1,
            "patience": 1,
            "embedding_dim": 8,
            "hidden_dim": 8,
            "max_train_pairs": 200,
            "max_validation_pairs": 50,
            "torch_threads": 1,
        }
    },
    "comment_generation_evaluation": {
        "config": {
            "max_perplexity_pairs": 50,
            "max_generation_moments": 5,
            "sample_count": 2,
            "beam_size": 1,
            "max_length": 5,
        }
    },
    "recommendation_lightgcn_model": {
        "config": {"epochs": 1, "patience": 1, "embedding_dim": 8, "place_dim": 8, "num_layers": 1, "min_steps_per_epoch": 1}
    },
    "recommendation_geo_model": {
        "config": {"epochs": 1, "patience": 1, "embedding_dim": 8, "place_dim": 8, "num_layers": 1, "min_steps_per_epoch": 1}
    },
    "moment_type_image_embeddings": {"config": {"batch_size": 16, "num_threads": 1}},
    "moment_type_model": {
        "config": {
            "epochs": 1,
            "patience": 1,
            "max_pictures": 1,
            "embedding_dim": 8,
            "text_hidden_dim": 8,
            "fusion_hidden_dim": 8,
            "num_threads": 1,
        }
    },
}
