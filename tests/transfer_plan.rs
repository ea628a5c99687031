//! The pure transfer planners: upload part plans and `upload.getFile` range plans.
//!
//! The table tests name the boundary cases; the property tests check every request of
//! thousands of random plans against the documentation's rules (written out again below,
//! independently of the planner), reassemble a synthetic file from the kept slices, and
//! compare the request count and the data fetched with a brute-force search over every
//! legal request.

use std::ops::Bound;
use std::sync::OnceLock;

use proptest::prelude::*;
use tgcmd::transfer::limits::{
    BIG_FILE_THRESHOLD, DEFAULT_DOWNLOAD_CHUNK, DEFAULT_PART_SIZE, MAX_DOWNLOAD_END,
    MAX_PART_COUNT, UPLOAD_MAX_FILEPARTS_DEFAULT, UPLOAD_MAX_FILEPARTS_PREMIUM,
};
use tgcmd::transfer::plan::{
    DownloadChunk, DownloadMode, DownloadPlan, DownloadPlanError, GetFileRequest, UploadMethod,
    UploadPart, UploadPlan, UploadPlanError,
};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;
const MODES: [DownloadMode; 2] = [DownloadMode::NonPrecise, DownloadMode::Precise];

// =======================================================================================
// Uploads: table tests
// =======================================================================================

/// A plan with the recommended part size and the default (non-Premium) part limit.
fn default_upload(size: u64) -> Result<UploadPlan, UploadPlanError> {
    UploadPlan::new(Some(size), DEFAULT_PART_SIZE, UPLOAD_MAX_FILEPARTS_DEFAULT)
}

#[test]
fn ten_mib_exactly_stays_small() {
    let plan = default_upload(10 * MIB).unwrap();
    assert_eq!(plan.method(), UploadMethod::SaveFilePart);
    assert!(!plan.is_big());
    assert_eq!(plan.total_parts(), Some(20));
    assert_eq!(plan.parts().last().unwrap().len, DEFAULT_PART_SIZE);
}

#[test]
fn ten_mib_plus_one_goes_big() {
    let plan = default_upload(10 * MIB + 1).unwrap();
    assert_eq!(plan.method(), UploadMethod::SaveBigFilePart);
    assert_eq!(plan.total_parts(), Some(21));
    assert_eq!(plan.file_total_parts(), 21);
    assert_eq!(
        plan.part(20),
        Some(UploadPart {
            index: 20,
            offset: 10 * MIB,
            len: 1
        })
    );
}

#[test]
fn small_or_big_depends_on_size_not_part_count() {
    // 10 MiB in 4 KiB parts is 2560 parts, far more than 20, and still small.
    let many_parts = UploadPlan::new(Some(10 * MIB), 4096, UPLOAD_MAX_FILEPARTS_DEFAULT).unwrap();
    assert_eq!(many_parts.total_parts(), Some(2560));
    assert_eq!(many_parts.method(), UploadMethod::SaveFilePart);
    assert_eq!(BIG_FILE_THRESHOLD, 10 * MIB);
}

#[test]
fn part_limit_exact() {
    let size = u64::from(UPLOAD_MAX_FILEPARTS_DEFAULT) * u64::from(DEFAULT_PART_SIZE);
    let plan = default_upload(size).unwrap();
    assert_eq!(plan.total_parts(), Some(4000));
    assert!(plan.is_big());
    let last = plan.part(3999).unwrap();
    assert_eq!(last.len, DEFAULT_PART_SIZE);
    assert_eq!(last.range().end, size);
    assert_eq!(plan.part(4000), None);
}

#[test]
fn part_limit_plus_one() {
    let size = u64::from(UPLOAD_MAX_FILEPARTS_DEFAULT) * u64::from(DEFAULT_PART_SIZE) + 1;
    let error = default_upload(size).unwrap_err();
    assert_eq!(
        error,
        UploadPlanError::TooManyParts {
            file_size: size,
            part_size: DEFAULT_PART_SIZE,
            needed: 4001,
            limit: 4000
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("4001") && message.contains("4000"),
        "{message}"
    );
}

#[test]
fn premium_part_limit_allows_what_default_rejects() {
    let size = 4001 * u64::from(DEFAULT_PART_SIZE);
    assert!(default_upload(size).is_err());
    let plan =
        UploadPlan::new(Some(size), DEFAULT_PART_SIZE, UPLOAD_MAX_FILEPARTS_PREMIUM).unwrap();
    assert_eq!(plan.total_parts(), Some(4001));
    let premium_max = u64::from(UPLOAD_MAX_FILEPARTS_PREMIUM) * u64::from(DEFAULT_PART_SIZE);
    assert!(UploadPlan::new(Some(premium_max), DEFAULT_PART_SIZE, 8000).is_ok());
    assert!(UploadPlan::new(Some(premium_max + 1), DEFAULT_PART_SIZE, 8000).is_err());
}

#[test]
fn part_limit_from_app_config_is_honoured() {
    // A server could send any limit; the plan uses the one it is given.
    let plan = UploadPlan::new(Some(3 * MIB), 512 * 1024, 6).unwrap();
    assert_eq!(plan.total_parts(), Some(6));
    assert!(matches!(
        UploadPlan::new(Some(3 * MIB + 1), 512 * 1024, 6),
        Err(UploadPlanError::TooManyParts {
            needed: 7,
            limit: 6,
            ..
        })
    ));
}

#[test]
fn small_parts_can_exceed_the_limit_even_for_a_small_file() {
    let error = UploadPlan::new(Some(10 * MIB), 1024, UPLOAD_MAX_FILEPARTS_DEFAULT).unwrap_err();
    assert!(matches!(
        error,
        UploadPlanError::TooManyParts {
            needed: 10240,
            limit: 4000,
            ..
        }
    ));
}

#[test]
fn one_byte_file() {
    let plan = default_upload(1).unwrap();
    assert_eq!(plan.method(), UploadMethod::SaveFilePart);
    assert_eq!(plan.total_parts(), Some(1));
    let parts: Vec<_> = plan.parts().collect();
    assert_eq!(
        parts,
        [UploadPart {
            index: 0,
            offset: 0,
            len: 1
        }]
    );
}

#[test]
fn empty_file_is_rejected() {
    let error = default_upload(0).unwrap_err();
    assert_eq!(error, UploadPlanError::EmptyFile);
    assert!(error.to_string().contains("FILE_PARTS_INVALID"));
}

#[test]
fn exact_multiple_of_part_size_has_a_full_last_part() {
    let plan = UploadPlan::new(Some(3 * 64 * KIB), 64 * 1024, 4000).unwrap();
    let lens: Vec<_> = plan.parts().map(|part| part.len).collect();
    assert_eq!(lens, [65536, 65536, 65536]);
}

#[test]
fn last_part_is_shorter() {
    let plan = UploadPlan::new(Some(2 * 64 * KIB + 100), 64 * 1024, 4000).unwrap();
    let parts: Vec<_> = plan.parts().collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[2],
        UploadPart {
            index: 2,
            offset: 131072,
            len: 100
        }
    );
}

#[test]
fn every_power_of_two_from_1k_to_512k_is_a_valid_part_size() {
    for shift in 10..=19 {
        let part_size = 1u32 << shift;
        assert!(
            UploadPlan::new(Some(MIB), part_size, 4000).is_ok(),
            "{part_size}"
        );
    }
}

#[test]
fn zero_part_size_is_rejected() {
    assert_eq!(
        UploadPlan::new(Some(100), 0, 4000),
        Err(UploadPlanError::ZeroPartSize)
    );
}

#[test]
fn part_size_not_a_kib_multiple_is_rejected() {
    for part_size in [1, 1000, 1536, 512 * 1024 - 1] {
        assert_eq!(
            UploadPlan::new(Some(100), part_size, 4000),
            Err(UploadPlanError::PartSizeNotKibMultiple { part_size })
        );
    }
}

#[test]
fn part_size_not_dividing_512k_is_rejected() {
    for part_size in [3 * 1024, 384 * 1024, 1024 * 1024, 511 * 1024] {
        let error = UploadPlan::new(Some(100), part_size, 4000).unwrap_err();
        assert_eq!(
            error,
            UploadPlanError::PartSizeDoesNotDivide512Kib { part_size }
        );
        assert!(error.to_string().contains("524288"), "{error}");
    }
}

#[test]
fn part_size_is_checked_even_for_an_unknown_size() {
    assert!(UploadPlan::new(None, 3 * 1024, 4000).is_err());
}

#[test]
fn part_limit_of_zero_or_beyond_the_wire_format_is_rejected() {
    assert_eq!(
        UploadPlan::new(Some(1), DEFAULT_PART_SIZE, 0),
        Err(UploadPlanError::InvalidPartLimit { max_parts: 0 })
    );
    assert!(UploadPlan::new(Some(1), DEFAULT_PART_SIZE, MAX_PART_COUNT).is_ok());
    assert_eq!(
        UploadPlan::new(Some(1), DEFAULT_PART_SIZE, MAX_PART_COUNT + 1),
        Err(UploadPlanError::InvalidPartLimit {
            max_parts: MAX_PART_COUNT + 1
        })
    );
}

#[test]
fn huge_file_size_is_an_error_not_an_overflow() {
    let error = default_upload(u64::MAX).unwrap_err();
    assert!(matches!(
        error,
        UploadPlanError::TooManyParts { needed, .. } if needed == u64::MAX.div_ceil(512 * 1024)
    ));
}

#[test]
fn unknown_size_uploads_big_with_an_unknown_total() {
    let plan = UploadPlan::new(None, DEFAULT_PART_SIZE, 4000).unwrap();
    assert_eq!(plan.method(), UploadMethod::SaveBigFilePart);
    assert_eq!(plan.total_parts(), None);
    assert_eq!(plan.file_total_parts(), -1);
    // Parts are offered up to the account's limit, at full size; the source decides where
    // the data ends.
    assert_eq!(
        plan.part(3999),
        Some(UploadPart {
            index: 3999,
            offset: 3999 * 512 * KIB,
            len: DEFAULT_PART_SIZE
        })
    );
    assert_eq!(plan.part(4000), None);
    assert_eq!(plan.parts().len(), 4000);
}

#[test]
fn unknown_size_finished_small_stays_big() {
    let plan = UploadPlan::with_default_limits(None).unwrap();
    let done = plan.finish(1).unwrap();
    assert_eq!(done.method(), UploadMethod::SaveBigFilePart);
    assert_eq!(done.file_size(), Some(1));
    assert_eq!(done.total_parts(), Some(1));
    assert_eq!(done.file_total_parts(), 1);
    assert_eq!(done.part(0).unwrap().len, 1);
}

#[test]
fn unknown_size_finished_empty_or_too_big_is_rejected() {
    let plan = UploadPlan::new(None, 1024, 10).unwrap();
    assert_eq!(plan.finish(0), Err(UploadPlanError::EmptyFile));
    assert!(plan.finish(10 * 1024).is_ok());
    assert!(matches!(
        plan.finish(10 * 1024 + 1),
        Err(UploadPlanError::TooManyParts {
            needed: 11,
            limit: 10,
            ..
        })
    ));
}

#[test]
fn known_size_finished_at_another_size_is_size_changed() {
    let plan = default_upload(5000).unwrap();
    assert_eq!(plan.finish(5000).as_ref(), Ok(&plan));
    assert_eq!(
        plan.finish(4999),
        Err(UploadPlanError::SizeChanged {
            planned: 5000,
            actual: 4999
        })
    );
}

// =======================================================================================
// Uploads: properties
// =======================================================================================

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Valid plans tile the file with full parts and one possibly shorter last part, choose
    /// the method by size, and fail exactly when the part count passes the limit.
    #[test]
    fn upload_plans_tile_the_file(
        size in prop_oneof![
            1..=4 * MIB,
            (1..=30u64, -2i64..=2).prop_map(|(mib, delta)| (mib * MIB).saturating_add_signed(delta)),
            1..=8 * 1024 * MIB,
        ],
        part_shift in 10u32..=19,
        max_parts in prop_oneof![Just(4000u32), Just(8000), 1..=9000u32],
    ) {
        let part_size = 1u32 << part_shift;
        let needed = size.div_ceil(u64::from(part_size));
        match UploadPlan::new(Some(size), part_size, max_parts) {
            Err(UploadPlanError::TooManyParts { needed: reported, limit, .. }) => {
                prop_assert!(needed > u64::from(max_parts));
                prop_assert_eq!(reported, needed);
                prop_assert_eq!(limit, max_parts);
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(plan) => {
                prop_assert!(needed <= u64::from(max_parts));
                prop_assert_eq!(plan.is_big(), size > 10 * MIB);
                prop_assert_eq!(plan.total_parts().map(u64::from), Some(needed));
                let mut next_offset = 0;
                for (expected_index, part) in plan.parts().enumerate() {
                    prop_assert_eq!(part.index as usize, expected_index);
                    prop_assert_eq!(part.offset, next_offset);
                    prop_assert!(part.len > 0 && part.len <= part_size);
                    if u64::from(part.index) + 1 < needed {
                        prop_assert_eq!(part.len, part_size);
                    }
                    next_offset += u64::from(part.len);
                }
                prop_assert_eq!(next_offset, size);
            }
        }
    }

    /// Every part size but the powers of two from 1 KiB to 512 KiB is refused.
    #[test]
    fn only_powers_of_two_from_1k_to_512k_are_part_sizes(part_size in any::<u32>()) {
        let valid = part_size.is_power_of_two() && (1024..=512 * 1024).contains(&part_size);
        prop_assert_eq!(UploadPlan::new(Some(1), part_size, 4000).is_ok(), valid);
    }
}

// =======================================================================================
// Downloads: the rules, written out from the documentation
// =======================================================================================

/// Whether the documentation allows an `upload.getFile` with these parameters. Written out
/// again here, rule by rule, so the tests do not trust the planner's own check.
// Written with `%` as the documentation writes it, to make the transcription easy to check.
#[allow(clippy::manual_is_multiple_of)]
fn spec_allows(offset: u64, limit: u64, precise: bool) -> bool {
    if limit == 0 {
        return false;
    }
    let mode_rules = if precise {
        // "The parameter offset must be divisible by 1 KB." "The parameter limit must be
        // divisible by 1 KB." "limit must not exceed 1048576 (1 MB)."
        offset % 1024 == 0 && limit % 1024 == 0 && limit <= 1048576
    } else {
        // "The parameter offset must be divisible by 4 KB." "The parameter limit must be
        // divisible by 4 KB." "1048576 (1 MB) must be divisible by limit."
        offset % 4096 == 0 && limit % 4096 == 0 && 1048576 % limit == 0
    };
    // "offset / (1024 * 1024) == (offset + limit - 1) / (1024 * 1024)"
    mode_rules && offset / (1024 * 1024) == (offset + limit - 1) / (1024 * 1024)
}

/// How many 1 MiB blocks `[start, end)` touches.
fn blocks_touched(start: u64, end: u64) -> u64 {
    if start >= end {
        0
    } else {
        (end - 1) / MIB - start / MIB + 1
    }
}

/// A synthetic file, big enough for every generated size. Each byte depends on its
/// position, so a slice from the wrong place does not match.
const SYNTHETIC_LEN: u64 = 6 * MIB + 16 * KIB;

fn synthetic_file() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        (0..SYNTHETIC_LEN)
            .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
            .collect()
    })
}

/// What the server answers to a request on a file of `file_size` bytes: the bytes from the
/// offset, as many as the limit asks and the file has.
fn server_response(file: &[u8], file_size: u64, request: GetFileRequest) -> &[u8] {
    let start = request.offset.min(file_size) as usize;
    let end = (request.offset + u64::from(request.limit)).min(file_size) as usize;
    &file[start..end]
}

/// Downloads `start..end` (`start..` if `end` is `None`) from a synthetic file of
/// `real_size` bytes, telling the planner the size only if `size_known`, and checks every
/// request against the rules and every kept byte against the file. Returns the plan's
/// requests.
fn download_and_check(
    real_size: u64,
    size_known: bool,
    start: u64,
    end: Option<u64>,
    mode: DownloadMode,
) -> Vec<DownloadChunk> {
    let file = &synthetic_file()[..real_size as usize];
    let range = (
        Bound::Included(start),
        end.map_or(Bound::Unbounded, Bound::Excluded),
    );
    let known_size = size_known.then_some(real_size);
    let mut plan = DownloadPlan::new(known_size, range, mode).unwrap();
    let expected_end = end.unwrap_or(real_size);
    let open_ended_unknown = end.is_none() && !size_known;
    if !open_ended_unknown {
        assert_eq!(
            plan.remaining_requests(),
            Some(blocks_touched(start, expected_end))
        );
    }

    let mut chunks = Vec::new();
    let mut cursor = start;
    while let Some(chunk) = plan.next() {
        let request = chunk.request();
        let context = format!("{request:?} for {start}..{end:?} of {real_size} ({mode:?})");
        assert!(
            spec_allows(request.offset, u64::from(request.limit), request.precise),
            "illegal {context}"
        );
        assert!(request.is_valid(), "is_valid disagrees: {context}");
        assert_eq!(request.precise, mode == DownloadMode::Precise, "{context}");
        if known_size.is_some() {
            assert!(
                request.offset < real_size,
                "starts at or past EOF: {context}"
            );
        }
        // Chunks follow each other and keep slices inside their request.
        assert_eq!(
            chunk.file_range().start,
            cursor,
            "gap or overlap: {context}"
        );
        assert!(chunk.keep().end <= request.limit as usize, "{context}");
        assert_eq!(
            request.offset + chunk.keep().start as u64,
            chunk.file_range().start
        );

        let response = server_response(file, real_size, request);
        let kept = chunk.kept(response);
        let expected = &file[cursor as usize..cursor as usize + kept.len()];
        assert!(kept == expected, "wrong bytes: {context}");
        cursor += kept.len() as u64;
        plan.record_response(&chunk, response.len());
        chunks.push(chunk);
        assert!(
            chunks.len() as u64 <= blocks_touched(start, real_size.max(start + 1)) + 1,
            "runaway plan: {context}"
        );
    }
    // Exactly the range was delivered.
    assert_eq!(cursor, expected_end, "{start}..{end:?} of {real_size}");
    let expected_requests = if open_ended_unknown {
        // Whole blocks until one comes back short; a file that ends on a block boundary
        // needs one request that comes back empty.
        real_size / MIB - start / MIB + 1
    } else {
        blocks_touched(start, expected_end)
    };
    assert_eq!(chunks.len() as u64, expected_requests);
    chunks
}

/// The plan's requests as (offset, limit, kept slice) triples.
fn requests(
    file_size: Option<u64>,
    range: impl std::ops::RangeBounds<u64>,
    mode: DownloadMode,
) -> Vec<(u64, u32, std::ops::Range<usize>)> {
    DownloadPlan::new(file_size, range, mode)
        .unwrap()
        .map(|chunk| (chunk.offset(), chunk.limit(), chunk.keep()))
        .collect()
}

// =======================================================================================
// Downloads: table tests
// =======================================================================================

#[test]
fn default_download_chunk_is_valid_in_both_modes() {
    assert_eq!(u64::from(DEFAULT_DOWNLOAD_CHUNK), MIB);
    for precise in [false, true] {
        for block in [0, 1, 7, 4096, (MAX_DOWNLOAD_END / MIB) - 1] {
            let offset = block * MIB;
            assert!(spec_allows(
                offset,
                u64::from(DEFAULT_DOWNLOAD_CHUNK),
                precise
            ));
            let request = GetFileRequest {
                offset,
                limit: DEFAULT_DOWNLOAD_CHUNK,
                precise,
            };
            assert!(request.is_valid());
        }
    }
}

#[test]
fn whole_file_uses_aligned_1mib_requests() {
    for mode in MODES {
        let plan = DownloadPlan::whole_file(Some(3 * MIB), mode);
        let got: Vec<_> = plan.map(|chunk| (chunk.offset(), chunk.limit())).collect();
        // Exactly three: a known size ending on a block boundary needs no empty probe.
        assert_eq!(got, [(0, 1 << 20), (MIB, 1 << 20), (2 * MIB, 1 << 20)]);
        download_and_check(3 * MIB, true, 0, None, mode);
        download_and_check(3 * MIB, false, 0, None, mode);
    }
}

#[test]
fn whole_file_last_request_shrinks_to_the_tail() {
    let size = 2 * MIB + 5000;
    let non_precise: Vec<_> = DownloadPlan::whole_file(Some(size), DownloadMode::NonPrecise)
        .map(|chunk| chunk.limit())
        .collect();
    assert_eq!(non_precise, [1 << 20, 1 << 20, 8192]);
    let precise: Vec<_> = DownloadPlan::whole_file(Some(size), DownloadMode::Precise)
        .map(|chunk| chunk.limit())
        .collect();
    assert_eq!(precise, [1 << 20, 1 << 20, 5120]);
}

#[test]
fn one_byte_range_non_precise() {
    assert_eq!(
        requests(Some(10_000), 5000..5001, DownloadMode::NonPrecise),
        [(4096, 4096, 904..905)]
    );
    download_and_check(10_000, true, 5000, Some(5001), DownloadMode::NonPrecise);
}

#[test]
fn one_byte_range_precise() {
    assert_eq!(
        requests(Some(10_000), 5000..5001, DownloadMode::Precise),
        [(4096, 1024, 904..905)]
    );
    download_and_check(10_000, true, 5000, Some(5001), DownloadMode::Precise);
}

#[test]
fn one_byte_file_downloads_with_one_request() {
    assert_eq!(
        requests(Some(1), .., DownloadMode::NonPrecise),
        [(0, 4096, 0..1)]
    );
    assert_eq!(
        requests(Some(1), .., DownloadMode::Precise),
        [(0, 1024, 0..1)]
    );
    for mode in MODES {
        download_and_check(1, true, 0, None, mode);
        download_and_check(1, false, 0, None, mode);
    }
}

#[test]
fn inclusive_range_of_one_byte() {
    assert_eq!(
        requests(Some(10), 0..=0, DownloadMode::Precise),
        [(0, 1024, 0..1)]
    );
}

#[test]
fn last_byte_before_a_mib_boundary() {
    assert_eq!(
        requests(None, MIB - 1..MIB, DownloadMode::NonPrecise),
        [(MIB - 4096, 4096, 4095..4096)]
    );
    assert_eq!(
        requests(None, MIB - 1..MIB, DownloadMode::Precise),
        [(MIB - 1024, 1024, 1023..1024)]
    );
}

#[test]
fn two_bytes_across_a_mib_boundary_take_two_requests() {
    assert_eq!(
        requests(None, MIB - 1..MIB + 1, DownloadMode::NonPrecise),
        [(MIB - 4096, 4096, 4095..4096), (MIB, 4096, 0..1)]
    );
    download_and_check(3 * MIB, true, MIB - 1, Some(MIB + 1), DownloadMode::Precise);
}

#[test]
fn unaligned_start_near_block_start_shifts_request_back_to_the_block() {
    // [4097, 1 MiB) widened to 4 KiB is 1020 KiB: only a 1 MiB limit covers it, and a
    // 1 MiB request must start at the block's start to stay inside it.
    assert_eq!(
        requests(Some(2 * MIB), 4097..MIB, DownloadMode::NonPrecise),
        [(0, 1 << 20, 4097..MIB as usize)]
    );
    // Precise mode needs no slack at all.
    assert_eq!(
        requests(Some(2 * MIB), 4097..MIB, DownloadMode::Precise),
        [(4096, (MIB - 4096) as u32, 1..(MIB - 4096) as usize)]
    );
}

#[test]
fn non_precise_limit_need_not_divide_offset() {
    // 512 KiB at offset 4 KiB: the documentation asks for a 4 KiB-aligned offset, a limit
    // dividing 1 MiB and no 1 MiB crossing, nothing more.
    assert_eq!(
        requests(None, 4096..4096 + 512 * KIB, DownloadMode::NonPrecise),
        [(4096, 512 * 1024, 0..512 * 1024)]
    );
}

#[test]
fn non_precise_slack_goes_after_the_range() {
    // 12 KiB needs a 16 KiB request; it starts at the range, not before it.
    assert_eq!(
        requests(None, 8192..8192 + 12 * KIB, DownloadMode::NonPrecise),
        [(8192, 16384, 0..12288)]
    );
}

#[test]
fn precise_limit_is_any_kib_multiple() {
    assert_eq!(
        requests(Some(20_000), 1000..13_000, DownloadMode::Precise),
        [(0, 13 * 1024, 1000..13_000)]
    );
}

#[test]
fn just_over_half_a_mib_takes_one_1mib_request() {
    // One request rather than two: the planner minimises round trips first.
    assert_eq!(
        requests(Some(4 * MIB), 0..512 * KIB + 1, DownloadMode::NonPrecise),
        [(0, 1 << 20, 0..512 * 1024 + 1)]
    );
    assert_eq!(
        requests(Some(4 * MIB), 0..512 * KIB + 1, DownloadMode::Precise),
        [(0, 513 * 1024, 0..512 * 1024 + 1)]
    );
}

#[test]
fn range_ending_at_eof() {
    // The slack past EOF is free: the server answers with the 5000 bytes that exist.
    assert_eq!(
        requests(Some(5000), 0..5000, DownloadMode::NonPrecise),
        [(0, 8192, 0..5000)]
    );
    assert_eq!(
        requests(Some(5000), ..5000, DownloadMode::Precise),
        [(0, 5120, 0..5000)]
    );
    for mode in MODES {
        download_and_check(5000, true, 0, Some(5000), mode);
        download_and_check(5000, true, 100, None, mode);
        download_and_check(5000, false, 100, None, mode);
    }
}

#[test]
fn range_ending_at_eof_in_a_later_block() {
    let size = 2 * MIB + 512 * KIB;
    assert_eq!(
        requests(Some(size), 2 * MIB - 1.., DownloadMode::NonPrecise),
        [
            (2 * MIB - 4096, 4096, 4095..4096),
            (2 * MIB, 512 * 1024, 0..512 * 1024)
        ]
    );
    for mode in MODES {
        download_and_check(size, true, 2 * MIB - 1, None, mode);
        download_and_check(size, false, 2 * MIB - 1, None, mode);
    }
}

#[test]
fn empty_range_gives_an_empty_plan() {
    for mode in MODES {
        assert!(requests(Some(100), 10..10, mode).is_empty());
        assert!(requests(None, 10..10, mode).is_empty());
        // Empty at EOF, or the whole of an empty file.
        assert!(requests(Some(100), 100..100, mode).is_empty());
        assert!(requests(Some(100), 100.., mode).is_empty());
        assert!(requests(Some(0), .., mode).is_empty());
        assert!(DownloadPlan::whole_file(Some(0), mode).next().is_none());
        assert_eq!(
            DownloadPlan::new(Some(100), 100.., mode)
                .unwrap()
                .remaining_requests(),
            Some(0)
        );
    }
}

#[test]
fn start_beyond_eof_is_an_error() {
    let error = DownloadPlan::new(Some(100), 101.., DownloadMode::NonPrecise).unwrap_err();
    assert_eq!(
        error,
        DownloadPlanError::StartBeyondEof {
            start: 101,
            file_size: 100
        }
    );
    assert!(error.to_string().contains("101"), "{error}");
    // Even an empty range may not start beyond EOF.
    assert!(matches!(
        DownloadPlan::new(Some(100), 200..200, DownloadMode::Precise),
        Err(DownloadPlanError::StartBeyondEof { .. })
    ));
}

#[test]
fn end_beyond_eof_is_an_error() {
    assert_eq!(
        DownloadPlan::new(Some(100), 50..101, DownloadMode::NonPrecise),
        Err(DownloadPlanError::EndBeyondEof {
            end: 101,
            file_size: 100
        })
    );
    assert!(DownloadPlan::new(Some(100), 50..=100, DownloadMode::NonPrecise).is_err());
}

#[test]
fn reversed_range_is_an_error() {
    let reversed = (Bound::Included(10), Bound::Excluded(5));
    assert_eq!(
        DownloadPlan::new(None, reversed, DownloadMode::Precise),
        Err(DownloadPlanError::ReversedRange { start: 10, end: 5 })
    );
}

#[test]
fn range_beyond_what_get_file_can_address_is_an_error() {
    let mode = DownloadMode::NonPrecise;
    assert_eq!(
        DownloadPlan::new(None, ..=u64::MAX, mode),
        Err(DownloadPlanError::RangeTooLarge)
    );
    assert_eq!(
        DownloadPlan::new(None, MAX_DOWNLOAD_END + 1.., mode),
        Err(DownloadPlanError::RangeTooLarge)
    );
    let after_max = (Bound::Excluded(u64::MAX), Bound::Unbounded);
    assert_eq!(
        DownloadPlan::new(None, after_max, mode),
        Err(DownloadPlanError::RangeTooLarge)
    );
    // The very last addressable byte is fine.
    let last = requests(None, MAX_DOWNLOAD_END - 1..MAX_DOWNLOAD_END, mode);
    assert_eq!(last, [(MAX_DOWNLOAD_END - 4096, 4096, 4095..4096)]);
    assert!(i64::try_from(last[0].0).is_ok());
}

#[test]
fn large_offsets_plan_like_small_ones() {
    let base = 1 << 50;
    assert_eq!(
        requests(None, base + 5000..base + 5001, DownloadMode::NonPrecise),
        [(base + 4096, 4096, 904..905)]
    );
}

#[test]
fn unknown_size_open_range_is_planned_lazily() {
    let mut plan = DownloadPlan::new(None, 100.., DownloadMode::NonPrecise).unwrap();
    assert_eq!(plan.remaining_requests(), None);
    assert_eq!(plan.size_hint(), (0, None));
    let first = plan.next().unwrap();
    assert_eq!((first.offset(), first.limit()), (0, 1 << 20));
    assert!(!plan.record_response(&first, 1 << 20));
    let second = plan.next().unwrap();
    assert_eq!((second.offset(), second.limit()), (MIB, 1 << 20));
    // A short answer ends the file, and the plan.
    assert!(plan.record_response(&second, 10));
    assert_eq!(plan.file_size(), Some(MIB + 10));
    assert_eq!(plan.end(), Some(MIB + 10));
    assert_eq!(plan.remaining_requests(), Some(0));
    assert!(plan.next().is_none());
    assert_eq!(second.kept(&[0; 10]).len(), 10);
}

#[test]
fn unknown_size_file_ending_on_a_block_boundary_needs_an_empty_response() {
    for mode in MODES {
        let chunks = download_and_check(2 * MIB, false, 0, None, mode);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[2].offset(), 2 * MIB);
    }
}

#[test]
fn unknown_size_bounded_range_needs_no_size() {
    assert_eq!(
        requests(None, 100..200, DownloadMode::Precise),
        [(0, 1024, 100..200)]
    );
}

#[test]
fn unknown_size_range_past_the_real_eof_stops_at_the_eof() {
    let mut plan = DownloadPlan::new(None, 0..3 * MIB, DownloadMode::NonPrecise).unwrap();
    assert_eq!(plan.remaining_requests(), Some(3));
    let first = plan.next().unwrap();
    plan.record_response(&first, 1 << 20);
    let second = plan.next().unwrap();
    plan.record_response(&second, 1000);
    assert_eq!(plan.end(), Some(MIB + 1000));
    assert!(plan.next().is_none());
}

#[test]
fn eof_before_the_start_ends_the_plan_without_panicking() {
    let mut plan = DownloadPlan::new(None, 5 * MIB.., DownloadMode::Precise).unwrap();
    let first = plan.next().unwrap();
    assert!(plan.record_response(&first, 0));
    assert_eq!(plan.end(), Some(5 * MIB));
    assert!(plan.next().is_none());
    plan.note_eof(1);
    assert_eq!(plan.file_size(), Some(1));
    assert!(plan.next().is_none());
    assert!(first.kept(&[]).is_empty());
}

#[test]
fn kept_copes_with_short_and_long_responses() {
    let chunk = DownloadPlan::new(None, 5000..5100, DownloadMode::NonPrecise)
        .unwrap()
        .next()
        .unwrap();
    assert_eq!(chunk.keep(), 904..1004);
    let response: Vec<u8> = (0..=255).cycle().take(4096).collect();
    assert_eq!(chunk.kept(&response), &response[904..1004]);
    assert_eq!(chunk.kept(&response[..950]), &response[904..950]);
    assert!(chunk.kept(&response[..900]).is_empty());
    assert!(chunk.is_short(900));
    assert!(!chunk.is_short(4096));
}

#[test]
fn get_file_request_validity_follows_the_rules() {
    let np = |offset, limit| GetFileRequest {
        offset,
        limit,
        precise: false,
    };
    let p = |offset, limit| GetFileRequest {
        offset,
        limit,
        precise: true,
    };
    assert!(np(0, 4096).is_valid());
    assert!(!np(1024, 4096).is_valid()); // offset not 4 KiB-aligned
    assert!(!np(0, 12288).is_valid()); // 12 KiB does not divide 1 MiB
    assert!(!np(0, 2 << 20).is_valid()); // 2 MiB does not divide 1 MiB
    assert!(!np(MIB - 4096, 8192).is_valid()); // crosses 1 MiB
    assert!(!np(0, 0).is_valid());
    assert!(p(1024, 3072).is_valid());
    assert!(!p(512, 1024).is_valid()); // offset not 1 KiB-aligned
    assert!(!p(0, 1000).is_valid()); // limit not 1 KiB-aligned
    assert!(!p(0, (1 << 20) + 1024).is_valid()); // more than 1 MiB
    assert!(!p(0, 0).is_valid());
    assert!(!p(u64::MAX - 1023, 1024).is_valid()); // past what a TL long holds
}

// =======================================================================================
// Downloads: properties
// =======================================================================================

fn any_mode() -> impl Strategy<Value = DownloadMode> {
    prop_oneof![Just(DownloadMode::NonPrecise), Just(DownloadMode::Precise)]
}

/// File sizes that stress the edges: tiny files, sizes near multiples of 1 MiB, and any
/// size up to the synthetic file's length.
fn file_size() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0..=3 * 4096u64,
        3 => (0..=6u64, -8192i64..=8192)
            .prop_map(|(mib, delta)| (mib * MIB).saturating_add_signed(delta)),
        3 => 0..=SYNTHETIC_LEN,
    ]
}

/// A position in `0..=max`, often on or next to a 1 MiB or 4 KiB boundary.
fn position(max: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0..=max,
        2 => (0..=max / MIB + 1, -5000i64..=5000)
            .prop_map(move |(block, delta)| (block * MIB).saturating_add_signed(delta).min(max)),
        2 => (0..=max / 4096 + 1, -2i64..=2)
            .prop_map(move |(page, delta)| (page * 4096).saturating_add_signed(delta).min(max)),
    ]
}

/// A file size and a range inside the file: `(size, start, Some(end))` or, for an
/// open-ended range, `(size, start, None)`.
fn file_and_range(
    max_size: impl Strategy<Value = u64>,
) -> impl Strategy<Value = (u64, u64, Option<u64>)> {
    max_size.prop_flat_map(|size| {
        (Just(size), position(size), position(size), any::<bool>()).prop_map(
            |(size, a, b, open_ended)| {
                let (start, end) = (a.min(b), a.max(b));
                (size, start, (!open_ended).then_some(end))
            },
        )
    })
}

/// The fewest legal requests that cover `[start, end)`, found without the planner's
/// reasoning: the textbook greedy for covering an interval (always take, among all legal
/// requests containing the first uncovered byte, the one reaching furthest), where the
/// legal requests are found by trying every aligned offset and limit against
/// [`spec_allows`].
fn oracle_fewest_requests(start: u64, end: u64, precise: bool) -> u64 {
    let unit = if precise { 1024 } else { 4096 };
    let mut first_uncovered = start;
    let mut count = 0;
    while first_uncovered < end {
        let mut furthest = first_uncovered;
        // A request containing the byte starts less than 1 MiB before it.
        let lowest = first_uncovered.saturating_sub(MIB - 1).div_ceil(unit) * unit;
        for offset in (lowest..=first_uncovered).step_by(unit as usize) {
            // For one offset the largest legal limit reaches furthest.
            for limit in (unit..=MIB).rev().step_by(unit as usize) {
                if spec_allows(offset, limit, precise) {
                    furthest = furthest.max(offset + limit);
                    break;
                }
            }
        }
        assert!(
            furthest > first_uncovered,
            "no legal request covers {first_uncovered}"
        );
        first_uncovered = furthest;
        count += 1;
    }
    count
}

/// The fewest bytes a server sends for one legal request covering `[start, end)` of a file
/// of `file_size` bytes, trying every aligned offset and limit against [`spec_allows`].
/// `None` if no single request can.
fn oracle_least_fetched(start: u64, end: u64, file_size: u64, precise: bool) -> Option<u64> {
    let unit = if precise { 1024 } else { 4096 };
    let lowest = end.saturating_sub(MIB).div_ceil(unit) * unit;
    let mut best = None::<u64>;
    for offset in (lowest..=start).step_by(unit as usize) {
        let shortest = (end - offset).div_ceil(unit) * unit;
        // For one offset, bytes sent only grow with the limit: the smallest legal limit
        // that reaches the end is the best.
        for limit in (shortest..=MIB).step_by(unit as usize) {
            if spec_allows(offset, limit, precise) {
                let sent = (offset + limit).min(file_size) - offset;
                best = Some(best.map_or(sent, |best| best.min(sent)));
                break;
            }
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every request is legal, the kept slices reassemble exactly the range from a
    /// synthetic file, and the plan makes one request per 1 MiB block touched (plus one
    /// empty answer when the size is unknown and the file ends on a block boundary);
    /// with the size known and without it.
    #[test]
    fn download_plans_follow_the_rules_and_deliver_the_range(
        (size, start, end) in file_and_range(file_size()),
        mode in any_mode(),
    ) {
        download_and_check(size, true, start, end, mode);
        download_and_check(size, false, start, end, mode);
    }

    /// Far from the start of the file the planner behaves the same (checked without
    /// reassembly, which would need a file that large).
    #[test]
    fn download_plans_at_large_offsets_are_legal_and_contiguous(
        start in 0..(1u64 << 62),
        len in prop_oneof![0..=3 * 4096u64, 0..=4 * MIB],
        mode in any_mode(),
    ) {
        let plan = DownloadPlan::new(None, start..start + len, mode).unwrap();
        let expected = blocks_touched(start, start + len);
        prop_assert_eq!(plan.remaining_requests(), Some(expected));
        let mut cursor = start;
        let mut count = 0;
        for chunk in plan {
            let request = chunk.request();
            prop_assert!(spec_allows(request.offset, u64::from(request.limit), request.precise));
            prop_assert_eq!(chunk.file_range().start, cursor);
            cursor = chunk.file_range().end;
            count += 1;
        }
        prop_assert_eq!(cursor, start + len);
        prop_assert_eq!(count, expected);
    }

    /// Ranges outside a known file are refused with the matching error.
    #[test]
    fn ranges_outside_the_file_are_refused(
        size in 0..=4 * MIB,
        past in 1..=2 * MIB,
        mode in any_mode(),
    ) {
        prop_assert_eq!(
            DownloadPlan::new(Some(size), size + past.., mode),
            Err(DownloadPlanError::StartBeyondEof { start: size + past, file_size: size })
        );
        prop_assert_eq!(
            DownloadPlan::new(Some(size), 0..size + past, mode),
            Err(DownloadPlanError::EndBeyondEof { end: size + past, file_size: size })
        );
    }
}

proptest! {
    // The brute-force oracles try about a million requests per 1 MiB block in precise
    // mode, so they get fewer (smaller) cases.
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// No plan has fewer requests, and none of the same length fetches fewer bytes.
    #[test]
    fn download_plans_are_minimal(
        (size, start, end) in file_and_range(0..=3 * MIB + 8192),
        mode in any_mode(),
    ) {
        let precise = mode == DownloadMode::Precise;
        let end = end.unwrap_or(size);
        let chunks: Vec<_> = DownloadPlan::new(Some(size), start..end, mode).unwrap().collect();
        prop_assert_eq!(chunks.len() as u64, oracle_fewest_requests(start, end, precise));
        // With the fewest requests, each one covers its block's share of the range alone,
        // so the least data for the plan is the least data for each share.
        for chunk in &chunks {
            let share = chunk.file_range();
            let sent = (chunk.offset() + u64::from(chunk.limit())).min(size) - chunk.offset();
            prop_assert_eq!(
                Some(sent),
                oracle_least_fetched(share.start, share.end, size, precise),
                "{:?} for {:?}", chunk.request(), share
            );
        }
    }
}
