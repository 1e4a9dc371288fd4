//! Near-duplicate signatures of submitted texts: do two complaints come from
//! the same script?
//!
//! Gangs hand borrowers one template and the borrowers change names, amounts
//! and a few words, shuffle sentences, or insert spaces and symbols to dodge
//! filters. A MinHash over character shingles of the normalised text
//! (`assess::normalize`: width, traditional → simplified, filler removed)
//! estimates the Jaccard similarity of the two shingle sets, and sentence
//! order and inserted noise do not change those sets much. Digits are
//! folded to one symbol first, so changed amounts, dates and card numbers do
//! not matter either. Shared stock phrases ("请尽快处理") are a small
//! fraction of a text's shingles, so they do not make two texts similar.
//!
//! The band keys ([`Signature::bands`]) are for lookup: two texts with an
//! estimated similarity of 0.8 share at least one band with probability
//! ≈ 0.98, two at 0.3 with ≈ 0.05, so a store can find candidates by exact
//! keyword match and only candidates are compared.
//!
//! Hashing is spelled out here (FNV-1a and fixed multipliers) rather than
//! taken from `std`, whose hasher may change between Rust releases:
//! signatures are stored and must compare equal across versions.

use crate::assess::normalize::normalize;

/// Number of MinHash values.
pub const HASHES: usize = 64;
/// Rows per LSH band (so `HASHES / ROWS` bands).
pub const ROWS: usize = 4;
/// Characters per shingle.
const SHINGLE: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub minhash: Vec<u32>,
    /// Distinct shingles of the text (how much text there is to compare);
    /// 0 when unknown (signatures stored before it was kept).
    pub shingles: u32,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The i-th hash function of the family: a fixed odd multiplier and offset
/// per index (SplitMix64 of the index), mixed into the shingle's hash.
fn family(i: usize, x: u64) -> u32 {
    let mut z = (i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let mut h = (x ^ z).wrapping_mul(z | 1);
    h ^= h >> 29;
    (h >> 32) as u32
}

/// The matching form of a text: normalised, sentence punctuation and spaces
/// dropped, digit runs folded to `#`.
fn content(text: &str) -> Vec<char> {
    let n = normalize(text);
    let mut out = Vec::with_capacity(n.text.len() / 3);
    let mut in_digits = false;
    for c in n.text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        if c.is_alphanumeric() {
            out.push(c);
        }
    }
    out
}

impl Signature {
    /// The signature of a text; `None` when it is too short to have one
    /// (fewer than a few shingles would make every short text "similar").
    pub fn of(text: &str) -> Option<Self> {
        let chars = content(text);
        if chars.len() < SHINGLE + 4 {
            return None;
        }
        let mut minhash = vec![u32::MAX; HASHES];
        let mut buf = [0u8; 4 * SHINGLE];
        let mut seen = std::collections::HashSet::new();
        for w in chars.windows(SHINGLE) {
            let mut len = 0;
            for c in w {
                len += c.encode_utf8(&mut buf[len..]).len();
            }
            let x = fnv1a(&buf[..len]);
            if !seen.insert(x) {
                continue;
            }
            for (i, m) in minhash.iter_mut().enumerate() {
                *m = (*m).min(family(i, x));
            }
        }
        Some(Self {
            minhash,
            shingles: u32::try_from(seen.len()).unwrap_or(u32::MAX),
        })
    }

    /// Estimated Jaccard similarity of the two texts' shingle sets.
    pub fn similarity(&self, other: &Signature) -> f32 {
        let same = self
            .minhash
            .iter()
            .zip(&other.minhash)
            .filter(|(a, b)| a == b)
            .count();
        same as f32 / self.minhash.len().max(1) as f32
    }

    /// Estimated number of shingles the two texts have in common: from
    /// J = |A∩B| / |A∪B| and |A∪B| = |A| + |B| − |A∩B|, |A∩B| = J(|A|+|B|)/(1+J).
    /// `None` when either count is unknown.
    pub fn shared_shingles(&self, other: &Signature) -> Option<f32> {
        if self.shingles == 0 || other.shingles == 0 {
            return None;
        }
        let j = self.similarity(other);
        Some(j * (self.shingles as f32 + other.shingles as f32) / (1.0 + j))
    }

    /// Estimated share of the shorter text's shingles found in the other
    /// (containment): a member that kept three sentences of a five-sentence
    /// script is mostly inside the script even though their Jaccard
    /// similarity is low. `None` when either count is unknown.
    pub fn containment(&self, other: &Signature) -> Option<f32> {
        let shared = self.shared_shingles(other)?;
        Some((shared / self.shingles.min(other.shingles) as f32).min(1.0))
    }

    /// The template score of two texts when they share a template, else
    /// `None`. They share one when they have at least `min_shared`
    /// shingles in common (so that two short formulaic notes, "申请装修分期，
    /// 材料齐全", do not count as one script) and either their Jaccard
    /// similarity reaches `min_similarity` or the shorter lies inside the
    /// longer to `min_containment`. The score is the larger of the two
    /// measures. A signature of unknown size is judged by Jaccard alone.
    pub fn same_template(
        &self,
        other: &Signature,
        min_similarity: f32,
        min_containment: f32,
        min_shared: f32,
    ) -> Option<f32> {
        let j = self.similarity(other);
        match (self.shared_shingles(other), self.containment(other)) {
            (Some(shared), Some(c)) => (shared >= min_shared
                && (j >= min_similarity || c >= min_containment))
                .then_some(j.max(c)),
            _ => (j >= min_similarity).then_some(j),
        }
    }

    /// LSH band keys, e.g. `"b03:5f2a…"`: texts sharing a key are
    /// candidates for the same template.
    pub fn bands(&self) -> Vec<String> {
        self.minhash
            .chunks(ROWS)
            .enumerate()
            .map(|(b, rows)| {
                let mut bytes = Vec::with_capacity(4 * ROWS);
                for r in rows {
                    bytes.extend_from_slice(&r.to_le_bytes());
                }
                format!("b{b:02}:{:016x}", fnv1a(&bytes))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "本人因疫情影响收入中断，目前确无还款能力。依据相关法律法规，特申请停止一切催收，免除全部逾期利息及违约金，剩余本金分六十期偿还。若贵行拒绝，本人将向金融监管部门及人民银行举报贵行违规行为。";

    fn sim(a: &str, b: &str) -> f32 {
        Signature::of(a)
            .unwrap()
            .similarity(&Signature::of(b).unwrap())
    }

    #[test]
    fn a_template_survives_names_amounts_noise_and_shuffling() {
        // Other amount and period, a name added, filler inserted, traditional
        // characters, full-width digits, sentences reordered.
        let variant = "本人張三因疫情影響收入中斷，目前確無還款能力。若贵行拒绝，本人将向金融监管部门及人民银行举报贵行违规行为。依据相关 法律 法规，特申请停止一切催*收，免除全部逾期利息及违约金，剩余本金分３６期偿还。";
        let s = sim(TEMPLATE, variant);
        assert!(s >= 0.6, "same template: {s}");
        let a = Signature::of(TEMPLATE).unwrap();
        let b = Signature::of(variant).unwrap();
        assert!(
            a.bands().iter().any(|k| b.bands().contains(k)),
            "found by band lookup"
        );
    }

    #[test]
    fn texts_sharing_only_stock_phrases_are_not_similar() {
        let a = "我上个月已经按时还清了信用卡欠款，但账单上又扣了一笔年费，请核实后退回，请尽快处理，谢谢。";
        let b = "手机银行转账显示成功但对方没有收到，已经过去三天了，请尽快处理，谢谢。";
        let s = sim(a, b);
        assert!(s < 0.25, "unrelated complaints: {s}");
        let (x, y) = (Signature::of(a).unwrap(), Signature::of(b).unwrap());
        assert!(!x.bands().iter().any(|k| y.bands().contains(k)));
    }

    #[test]
    fn short_formulaic_notes_are_not_a_template_but_part_of_a_script_is() {
        let p = (0.6, 0.7, 48.0);
        let same = |a: &str, b: &str| {
            Signature::of(a)
                .unwrap()
                .same_template(&Signature::of(b).unwrap(), p.0, p.1, p.2)
        };
        // Two honest applicants' notes: alike, but too little text.
        let a = "装修报价单已经签了，申请28万元装修分期。材料包括收入证明、工资流水。";
        let b = "装修合同签了，申请30万元装修分期。材料包括收入证明、工资流水。";
        assert!(
            Signature::of(a)
                .unwrap()
                .similarity(&Signature::of(b).unwrap())
                >= 0.5
        );
        assert_eq!(same(a, b), None);
        // A member that kept three of a five-sentence script and added a
        // greeting: low Jaccard, but mostly inside the script.
        let script = format!(
            "{TEMPLATE}本人名下信用卡欠款共计十余万元，因公司倒闭已彻底丧失还款能力。贵行委托的催收公司多次打电话骚扰本人家属，严重侵害了本人隐私。"
        );
        let part = "领导好，依据相关法律法规，特申请停止一切催收，免除全部逾期利息及违约金，剩余本金分十二期偿还。若贵行拒绝，本人将向金融监管部门及人民银行举报贵行违规行为。贵行委托的催收公司多次打电话骚扰本人家属，严重侵害了本人隐私。";
        let (x, y) = (
            Signature::of(&script).unwrap(),
            Signature::of(part).unwrap(),
        );
        assert!(x.similarity(&y) < 0.6, "{}", x.similarity(&y));
        assert!(x.containment(&y).unwrap() >= 0.7, "{:?}", x.containment(&y));
        assert!(same(&script, part).is_some());
        // Unknown sizes (signatures stored before counts were kept) fall
        // back to Jaccard alone.
        let old = Signature {
            shingles: 0,
            ..Signature::of(TEMPLATE).unwrap()
        };
        assert_eq!(old.shared_shingles(&x), None);
        assert!(old.same_template(&x, p.0, p.1, p.2).is_some());
    }

    #[test]
    fn signatures_are_stable_and_short_texts_have_none() {
        assert_eq!(Signature::of(TEMPLATE), Signature::of(TEMPLATE));
        assert!((sim(TEMPLATE, TEMPLATE) - 1.0).abs() < 1e-6);
        assert!(Signature::of("请尽快处理").is_none());
        assert_eq!(
            Signature::of(TEMPLATE).unwrap().bands().len(),
            HASHES / ROWS
        );
        // Pinned: a change to the hashing would orphan stored signatures.
        assert_eq!(fnv1a(b"abc"), 0xe71f_a219_0541_574b);
    }
}
