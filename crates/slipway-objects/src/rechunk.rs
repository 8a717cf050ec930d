//! Gathers a body's small network reads into large chunks before they are
//! handed to other threads (hasher, disk writer). Each hand-off costs a
//! thread wake-up, and on a small VM a 1 GiB body read as tens of
//! thousands of small chunks spent more time waking threads than hashing
//! or writing; one copy into a large buffer is cheaper.

use bytes::BytesMut;
use futures::StreamExt;
use slipway_core::ports::blob::ByteStream;

/// The size chunks are gathered to.
pub(crate) const LARGE_CHUNK: usize = 1024 * 1024;

/// `body` with chunks of at least `LARGE_CHUNK` bytes (except the last);
/// chunks already that large pass through without a copy. An error ends
/// the stream after whatever was gathered before it.
pub(crate) fn rechunk(body: ByteStream) -> ByteStream {
    struct State {
        body: ByteStream,
        buf: BytesMut,
        failed: Option<std::io::Error>,
        done: bool,
    }
    let state = State {
        body,
        buf: BytesMut::new(),
        failed: None,
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        if let Some(e) = st.failed.take() {
            st.done = true;
            return Some((Err(e), st));
        }
        if st.done {
            return None;
        }
        loop {
            match st.body.next().await {
                Some(Ok(chunk)) if st.buf.is_empty() && chunk.len() >= LARGE_CHUNK => {
                    return Some((Ok(chunk), st));
                }
                Some(Ok(chunk)) => {
                    if st.buf.capacity() == 0 {
                        st.buf.reserve(LARGE_CHUNK + chunk.len());
                    }
                    st.buf.extend_from_slice(&chunk);
                    if st.buf.len() >= LARGE_CHUNK {
                        return Some((Ok(st.buf.split().freeze()), st));
                    }
                }
                Some(Err(e)) => {
                    if st.buf.is_empty() {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    st.failed = Some(e);
                    return Some((Ok(st.buf.split().freeze()), st));
                }
                None => {
                    st.done = true;
                    if st.buf.is_empty() {
                        return None;
                    }
                    return Some((Ok(st.buf.split().freeze()), st));
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn body(chunks: Vec<std::io::Result<Bytes>>) -> ByteStream {
        Box::pin(futures::stream::iter(chunks))
    }

    async fn collect(s: ByteStream) -> Vec<std::io::Result<Bytes>> {
        s.collect().await
    }

    #[tokio::test]
    async fn small_reads_are_gathered_and_bytes_kept_in_order() {
        let pieces: Vec<std::io::Result<Bytes>> = (0..3000u32)
            .map(|i| Ok(Bytes::from(vec![(i % 251) as u8; 1000])))
            .collect();
        let want: Vec<u8> = (0..3000u32)
            .flat_map(|i| vec![(i % 251) as u8; 1000])
            .collect();
        let out = collect(rechunk(body(pieces))).await;
        let sizes: Vec<usize> = out.iter().map(|c| c.as_ref().unwrap().len()).collect();
        assert!(
            sizes[..sizes.len() - 1].iter().all(|s| *s >= LARGE_CHUNK),
            "{sizes:?}"
        );
        let got: Vec<u8> = out.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn an_error_comes_after_the_bytes_before_it() {
        let out = collect(rechunk(body(vec![
            Ok(Bytes::from_static(b"abc")),
            Err(std::io::Error::other("cut")),
            Ok(Bytes::from_static(b"never")),
        ])))
        .await;
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].as_ref().unwrap().as_ref(), b"abc");
        assert!(out[1].is_err());
    }

    #[tokio::test]
    async fn large_chunks_pass_through() {
        let big = Bytes::from(vec![7u8; LARGE_CHUNK + 5]);
        let out = collect(rechunk(body(vec![
            Ok(big.clone()),
            Ok(Bytes::from_static(b"x")),
        ])))
        .await;
        assert_eq!(out[0].as_ref().unwrap(), &big);
        assert_eq!(out[1].as_ref().unwrap().as_ref(), b"x");
    }
}
