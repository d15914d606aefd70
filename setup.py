from setuptools import find_packages, setup

setup(
    name="moment_pipelines",
    version="0.1.0",
    description="Dagster assets that turn MongoDB moments, likes and comments into DuckDB features and PyTorch models",
    python_requires=">=3.11",
    packages=find_packages(exclude=["moment_pipelines_tests", "moment_pipelines_tests.*"]),
    package_data={"moment_pipelines": ["**/*.sql"]},
    install_requires=[
        "dagster>=1.13,<1.14",
        "dagster-webserver>=1.13,<1.14",
        "dagster-duckdb>=0.29",
        "duckdb>=1.2",
        "pandas>=2.2",
        "numpy>=1.26",
        "pymongo>=4.8",
        "jieba>=0.42",
        "torch>=2.4",
        "torchvision>=0.19",
        "torch-geometric>=2.6",
        "scikit-learn>=1.5",
        "matplotlib>=3.8",
        "tabulate>=0.9",
        "tqdm>=4.66",
        "Pillow>=10",
        "transformers>=5.0",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "nx-27017>=0.8",
            "dagster-postgres>=0.29,<0.30",
            "selenium>=4.20",
            "psutil>=5.9",
        ],
    },
)
