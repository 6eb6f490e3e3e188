//! The model catalog: which tool names exist, for `lovart models` and for
//! checking the names given to `--prefer-models`, `--include-tools` and
//! `--exclude-tools`.
