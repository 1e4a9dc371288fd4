//! The models as services: async handles over worker threads, streaming,
//! and fail-fast `Overloaded` when the bounded queue is full.

use caseguard::config::Config;
use caseguard::embed::Role;
use caseguard::llm::GenerateParams;
use caseguard::services::{EmbedService, LlmService, ServiceError};
use caseguard::worker::WorkerError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_and_scores_come_back_through_the_workers() {
    let config = Config::load(None).unwrap();
    let embed = tokio::task::spawn_blocking({
        let c = config.clone();
        move || EmbedService::start(&c)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(embed.dim(), 384);
    let v = embed
        .embed(vec!["征信修复".into(), "上岸".into()], Role::Passage)
        .await
        .unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].len(), 384);

    let llm = tokio::task::spawn_blocking(move || LlmService::start(&config))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(llm.info().architecture, "gemma3");
    let s = llm
        .score("1, 2, 3, 4,".into(), vec![" 5".into(), " banana".into()])
        .await
        .unwrap();
    assert!(s[0].logprob > s[1].logprob);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_delivers_the_pieces_then_the_summary() {
    let config = Config::load(None).unwrap();
    let llm = tokio::task::spawn_blocking(move || LlmService::start(&config))
        .await
        .unwrap()
        .unwrap();
    let (mut pieces, done) = llm
        .generate_stream(
            "1, 2, 3, 4,".into(),
            GenerateParams {
                max_tokens: 10,
                ..Default::default()
            },
        )
        .unwrap();
    let mut text = String::new();
    let mut count = 0;
    while let Some(p) = pieces.recv().await {
        text.push_str(&p);
        count += 1;
    }
    let summary = done.await.unwrap().unwrap();
    assert!(count > 1, "expected several pieces, got {count}");
    assert_eq!(text, summary.text);
    assert!(text.starts_with(" 5, 6"), "{text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_llm_queue_is_refused_at_once() {
    let mut config = Config::load(None).unwrap();
    config.runtime.llm_queue = 1;
    let llm = tokio::task::spawn_blocking(move || LlmService::start(&config))
        .await
        .unwrap()
        .unwrap();
    let long = GenerateParams {
        max_tokens: 64,
        ..Default::default()
    };
    // one runs, one waits in the queue, the next must be refused
    let mut streams = Vec::new();
    let mut refused = None;
    for _ in 0..4 {
        match llm.generate_stream("Once upon a time".into(), long.clone()) {
            Ok(s) => streams.push(s),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    assert!(
        matches!(
            refused,
            Some(ServiceError::Worker(WorkerError::Overloaded(_)))
        ),
        "expected Overloaded, got {refused:?}"
    );
    assert!(streams.len() <= 2);
    // dropping the receivers cancels the running generation
    drop(streams);
}
