//! Facts a case rests on, pulled out of a complaint or application text.
//!
//! The legal team's report ties every claim to a place in the source:
//! who (parties, agencies), how much, when, through which channel, which
//! documents, and which phone numbers, accounts, ID numbers and chat
//! accounts were used — the last group is what links one organised case to
//! the next. Each fact carries its span in the original text so a reader can
//! check it, and an id ("F1", "F2", …) a report can cite.
//!
//! Complaint texts are personal data (design §1): phone, ID, bank-account,
//! WeChat, QQ and e-mail values never leave this module unmasked — not in
//! `value`, not in `span.text`, not in `normalized`. `mask_pii` applies the
//! same masking to a whole text for logs and exports.
//!
//! Extraction is pattern-based and model-free. It runs on a width-folded,
//! simplified copy of the text (so "１３８…" and 銀保監會 are read too), and
//! maps every match back to the original bytes. Where candidates overlap,
//! the longest wins (an account number is not also a phone number), and a
//! fact repeated in the text is reported once, at its first place.

use std::sync::OnceLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

use crate::assess::signals::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    Party,
    Agency,
    Amount,
    Date,
    Channel,
    Document,
    Phone,
    Account,
    IdNumber,
    /// WeChat, QQ and e-mail accounts.
    Contact,
}

impl FactKind {
    fn is_pii(self) -> bool {
        matches!(
            self,
            FactKind::Phone | FactKind::Account | FactKind::IdNumber | FactKind::Contact
        )
    }

    /// Tie-break between candidates of equal length: the more specific wins.
    fn priority(self) -> u8 {
        match self {
            FactKind::IdNumber => 0,
            FactKind::Account => 1,
            FactKind::Phone => 2,
            FactKind::Contact => 3,
            FactKind::Agency => 4,
            FactKind::Party => 5,
            FactKind::Document => 6,
            FactKind::Amount => 7,
            FactKind::Date => 8,
            FactKind::Channel => 9,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fact {
    /// "F1", "F2", … in order of appearance.
    pub id: String,
    pub kind: FactKind,
    /// Display value; masked for phones, accounts, ID numbers and contacts.
    pub value: String,
    /// Original byte offsets; `text` is masked for the masked kinds.
    pub span: Span,
    /// Canonical form: amount in yuan ("50000"), ISO date ("2024-03-05"),
    /// canonical agency or channel name. Never a raw personal number.
    pub normalized: Option<String>,
}

/// All facts in `original`, in order of appearance, ids F1, F2, ….
pub fn extract_facts(original: &str) -> Vec<Fact> {
    let folded = Folded::new(original);
    let mut candidates = pii_candidates(&folded);
    candidates.extend(other_candidates(&folded));
    let kept = resolve_overlaps(candidates);

    let mut seen: Vec<(FactKind, String)> = Vec::new();
    let mut facts = Vec::new();
    for c in kept {
        if seen.iter().any(|(k, key)| *k == c.kind && *key == c.key) {
            continue;
        }
        seen.push((c.kind, c.key.clone()));
        let (start, end) = (folded.to_original(c.start), folded.to_original(c.end));
        let text = if c.kind.is_pii() {
            c.value.clone()
        } else {
            original[start..end].to_string()
        };
        let value = if c.kind.is_pii() {
            c.value
        } else {
            text.clone()
        };
        facts.push(Fact {
            id: format!("F{}", facts.len() + 1),
            kind: c.kind,
            value,
            span: Span { start, end, text },
            normalized: c.normalized,
        });
    }
    facts
}

/// `text` with every phone, ID, bank-account, WeChat, QQ and e-mail value
/// masked (phones 138****5678, IDs 110*************1X, accounts ****1234).
pub fn mask_pii(text: &str) -> String {
    let folded = Folded::new(text);
    let mut pii = resolve_overlaps(pii_candidates(&folded));
    pii.sort_by_key(|c| c.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for c in pii {
        let (start, end) = (folded.to_original(c.start), folded.to_original(c.end));
        out.push_str(&text[at..start]);
        out.push_str(&c.value);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

// ------------------------------------------------------------------ text

/// The text with full-width ASCII folded and traditional characters
/// simplified, char for char, and a map back to the original bytes.
struct Folded {
    text: String,
    /// Byte offset in `text` and in the original of each char.
    starts: Vec<(usize, usize)>,
    original_len: usize,
}

impl Folded {
    fn new(original: &str) -> Self {
        let width: String = original
            .chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            })
            .collect();
        let simplified = fast2s::convert(&width);
        let n = original.chars().count();
        let text = if simplified.chars().count() == n {
            simplified
        } else {
            width
        };
        let starts = text
            .char_indices()
            .map(|(i, _)| i)
            .zip(original.char_indices().map(|(i, _)| i))
            .collect();
        Self {
            text,
            starts,
            original_len: original.len(),
        }
    }

    /// Original byte offset for a char-boundary byte offset in `text`.
    fn to_original(&self, folded: usize) -> usize {
        match self.starts.binary_search_by_key(&folded, |s| s.0) {
            Ok(i) => self.starts[i].1,
            Err(i) if i >= self.starts.len() => self.original_len,
            // Not a char boundary (never produced by the patterns): round down.
            Err(i) => self.starts[i.saturating_sub(1)].1,
        }
    }
}

/// A fact before overlap resolution; offsets into `Folded::text`.
#[derive(Debug, Clone)]
struct Candidate {
    start: usize,
    end: usize,
    kind: FactKind,
    /// Display value for masked kinds (already masked); unused otherwise.
    value: String,
    normalized: Option<String>,
    /// Identity for deduplication; may hold a raw number, never leaves the module.
    key: String,
}

/// Longest first (then the more specific kind, then earlier); keep what
/// does not overlap anything kept; return in text order.
fn resolve_overlaps(mut all: Vec<Candidate>) -> Vec<Candidate> {
    all.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.kind.priority().cmp(&b.kind.priority()))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Candidate> = Vec::new();
    for c in all {
        if !kept.iter().any(|k| c.start < k.end && k.start < c.end) {
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| (c.start, c.end));
    kept
}

/// No ASCII letter or digit right before `start` or right after `end`.
fn standalone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphanumeric())
        && !after.is_some_and(|c| c.is_ascii_alphanumeric())
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

// ------------------------------------------------------------------- PII

fn mask_mobile(d: &str) -> String {
    let d = &d[d.len() - 11..];
    format!("{}****{}", &d[..3], &d[7..])
}

fn mask_landline(d: &str) -> String {
    format!("{}****{}", &d[..3], &d[d.len() - 4..])
}

fn mask_id(id: &str) -> String {
    format!("{}{}{}", &id[..3], "*".repeat(13), &id[id.len() - 2..])
}

fn mask_account(d: &str) -> String {
    format!("****{}", &d[d.len() - 4..])
}

fn mask_handle(h: &str) -> String {
    let chars: Vec<char> = h.chars().collect();
    if chars.len() >= 6 {
        format!(
            "{}****{}",
            chars[..2].iter().collect::<String>(),
            chars[chars.len() - 2..].iter().collect::<String>()
        )
    } else {
        format!("{}****", chars[0])
    }
}

fn mask_email(e: &str) -> String {
    let (local, domain) = e.split_once('@').unwrap_or((e, ""));
    let keep: String = local.chars().take(2).collect();
    format!("{keep}***@{domain}")
}

struct PiiPatterns {
    id: Regex,
    account: Regex,
    mobile: Regex,
    landline: Regex,
    wechat: Regex,
    qq: Regex,
    email: Regex,
}

fn pii_patterns() -> &'static PiiPatterns {
    static P: OnceLock<PiiPatterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("static pattern");
        PiiPatterns {
            // 6-digit region, birth date 18/19/20yy-mm-dd, 3-digit sequence, check digit or X.
            id: re(
                r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]",
            ),
            // 16–19 digits, optionally grouped by single spaces or hyphens.
            account: re(r"[0-9](?:[ -]?[0-9]){15,18}"),
            mobile: re(r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}"),
            landline: re(r"(?:\(0[0-9]{2,3}\)|0[0-9]{2,3}-)[0-9]{7,8}"),
            wechat: re(
                r"(?i)(?:微信号?|weixin|wechat|vx|wx|v信|薇信|威信)\s*(?:号|id)?\s*[:：]?\s*([a-z][-_a-z0-9]{5,19}|1[3-9][0-9]{9})",
            ),
            qq: re(r"(?i)(?:qq|扣扣|企鹅)\s*号?(?:码)?\s*[:：]?\s*([1-9][0-9]{4,10})"),
            email: re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
        }
    })
}

fn pii_candidates(f: &Folded) -> Vec<Candidate> {
    let p = pii_patterns();
    let t = f.text.as_str();
    let mut out = Vec::new();
    let mut push = |start, end, kind, value: String, normalized: Option<&str>, key: String| {
        out.push(Candidate {
            start,
            end,
            kind,
            value,
            normalized: normalized.map(str::to_string),
            key,
        })
    };
    for m in p.id.find_iter(t) {
        if standalone(t, m.start(), m.end()) {
            let id = m.as_str().to_uppercase();
            push(
                m.start(),
                m.end(),
                FactKind::IdNumber,
                mask_id(&id),
                None,
                id,
            );
        }
    }
    for m in p.account.find_iter(t) {
        let d = digits(m.as_str());
        if (16..=19).contains(&d.len()) && standalone(t, m.start(), m.end()) {
            push(
                m.start(),
                m.end(),
                FactKind::Account,
                mask_account(&d),
                None,
                d,
            );
        }
    }
    for m in p.mobile.find_iter(t) {
        if standalone(t, m.start(), m.end()) {
            let d = digits(m.as_str());
            let d = d[d.len() - 11..].to_string();
            push(
                m.start(),
                m.end(),
                FactKind::Phone,
                mask_mobile(&d),
                Some("mobile"),
                d,
            );
        }
    }
    for m in p.landline.find_iter(t) {
        if standalone(t, m.start(), m.end()) {
            let d = digits(m.as_str());
            push(
                m.start(),
                m.end(),
                FactKind::Phone,
                mask_landline(&d),
                Some("landline"),
                d,
            );
        }
    }
    let mut handle = |caps: Captures, platform: &str| {
        let h = caps.get(1).expect("group 1");
        if standalone(t, h.start(), h.end()) {
            let raw = h.as_str();
            let masked = if raw.chars().all(|c| c.is_ascii_digit())
                && raw.len() == 11
                && platform == "wechat"
            {
                mask_mobile(raw)
            } else {
                mask_handle(raw)
            };
            out.push(Candidate {
                start: h.start(),
                end: h.end(),
                kind: FactKind::Contact,
                value: masked,
                normalized: Some(platform.to_string()),
                key: format!("{platform}:{}", raw.to_lowercase()),
            });
        }
    };
    for caps in p.wechat.captures_iter(t) {
        handle(caps, "wechat");
    }
    for caps in p.qq.captures_iter(t) {
        handle(caps, "qq");
    }
    for m in p.email.find_iter(t) {
        out.push(Candidate {
            start: m.start(),
            end: m.end(),
            kind: FactKind::Contact,
            value: mask_email(m.as_str()),
            normalized: Some("email".to_string()),
            key: format!("email:{}", m.as_str().to_lowercase()),
        });
    }
    out
}

// ------------------------------------------------------- everything else

/// Agencies: (pattern, canonical name).
const AGENCIES: &[(&str, &str)] = &[
    (
        "国家金融监督管理总局|国家金融监管总局|金融监管总局|金融监管局|金管局|银保监会|银保监|银监会|保监会|银监局",
        "国家金融监督管理总局",
    ),
    ("中国人民银行征信中心|征信中心", "中国人民银行征信中心"),
    ("中国人民银行|人民银行|央行", "中国人民银行"),
    ("12378", "12378（金融监管总局消费者投诉热线）"),
    ("12363", "12363（人民银行金融消费权益保护热线）"),
    ("12315", "12315（市场监管投诉热线）"),
    ("12345", "12345（政务服务热线）"),
    ("中国消费者协会|消费者协会|消协", "消费者协会"),
    ("市场监督管理局|市场监管局", "市场监督管理局"),
    ("公安局|公安机关|派出所|公安|警方", "公安机关"),
    ("人民检察院|检察院", "人民检察院"),
    ("人民法院|法院", "人民法院"),
    ("信访局|信访部门|信访", "信访部门"),
    ("监管部门|监管机构", "监管部门"),
    ("电视台|新闻媒体|媒体|记者|报社", "媒体"),
    ("黑猫投诉平台|黑猫投诉|黑猫", "黑猫投诉"),
];

/// Channels: (pattern, canonical name).
const CHANNELS: &[(&str, &str)] = &[
    ("微信语音|微信视频|微信群|微信|vx|wx", "微信"),
    ("qq群|qq", "QQ"),
    (
        "视频通话|视频电话|视频会议|视频面签|视频认证|视频核验",
        "视频通话",
    ),
    ("电话银行", "电话银行"),
    ("客服热线|投诉热线|热线", "热线"),
    ("电话|来电|外呼|回拨", "电话"),
    ("短信", "短信"),
    ("抖音", "抖音"),
    ("快手", "快手"),
    ("小红书", "小红书"),
    ("微博", "微博"),
    ("短视频平台|短视频", "短视频平台"),
    ("维权群|反催群|飞机群|tg群|群里|群聊|群主", "群聊"),
    ("电子邮件|邮件|邮箱", "邮件"),
    ("网点|柜台|柜面|营业厅", "网点"),
    ("手机银行|企业网银|网银", "手机银行"),
    ("app", "APP"),
    ("信函|函件|本函|致函|邮寄|快递", "信函"),
];

const DOCUMENTS: &str = "非恶意逾期证明|身份被冒用证明|征信修复完成报告|征信修复确认书|授权委托书|委托书|授权书|疾病证明|诊断证明|诊断书|贫困证明|困难证明|低保证明|失业证明|离职证明|收入证明|在职证明|结清证明|住院证明|医院证明|报警回执|受理回执|银行流水|收入流水|流水|借款合同|贷款合同|购房合同|购车合同|合同|借款协议|还款协议|代理协议|协议|营业执照|房产证|不动产权证书|不动产权证|投保单|保单|承诺书|确认书|律师函|协商函|停催函|异议书|异议申请书|申请书|通话录音|录音|通话记录|截图|病历|手术记录|身份证复印件|身份证|征信报告|发票|双录|个税记录|纳税记录|社保记录";

const ROLES: &str = "村委会|居委会|借款人|持卡人|投保人|被保险人|受益人|申请人|投诉人|委托人|受托人|代理人|共同还款人|担保人|紧急联系人|客户经理|理财经理|业务员|催收员|催收人员|中介|经销商|法务顾问|维权律师|律师|表哥|表弟|本人|客户";

/// Common surnames for "王某" / "张某某" style anonymised names; function
/// words that double as surnames (于, 和, 从, 向…) are left out.
const SURNAMES: &str = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜谢邹柏窦章苏潘葛范彭鲁韦马苗方俞任袁柳鲍史唐费岑薛雷贺倪汤殷罗毕郝邬卞齐康伍余顾孟黄穆萧尹姚邵汪祁毛狄臧戴宋庞熊纪舒屈项祝董梁杜阮蓝闵季贾娄危江童颜郭梅盛林钟徐邱骆高夏蔡田樊胡凌霍虞柯管卢莫裘缪丁邓洪包左石崔吉龚程邢裴陆荣翁荀甄芮储靳段焦巴侯全班仲宫宁仇栾甘厉戎武符刘詹龙叶司黎白蒲邰赖卓蔺屠蒙乔胥翟谭姬申冉雍桂牛寿燕冀浦尚温庄晏柴瞿阎慕茹艾容廖庾耿匡寇阙欧聂晁敖冷辛饶曾沙鞠丰巢";

/// Chars that cannot be part of an organisation name: where a name
/// candidate is cut on the left ("交了1800块服务费给一家咨询公司" → 咨询公司).
const NAME_STOPS: &str = "的了给向在和与跟是找被让由把到为及或从对将经已交付说请这那个家名位该其我你他她们受签加去过等于就都也还又再想称叫致附不要接买办问打年月日天周底前后里内具供有开、，。；：,;: ";

/// Organisation names that are in fact agencies.
const AGENCY_WORDS: &[&str] = &[
    "人民银行",
    "征信中心",
    "金融监管",
    "银保监",
    "公安",
    "法院",
    "检察院",
    "消费者协会",
    "市场监管",
];

struct OtherPatterns {
    agencies: Vec<(Regex, &'static str)>,
    channels: Vec<(Regex, &'static str)>,
    documents: Regex,
    generic_proof: Regex,
    roles: Regex,
    organisation: Regex,
    teacher: Regex,
    anonymised: Regex,
    amount_digits: Regex,
    amount_wan: Regex,
    amount_symbol: Regex,
    amount_after_verb: Regex,
    amount_chinese: Regex,
    date_full: Regex,
    date_dashed: Regex,
    date_month: Regex,
    date_year: Regex,
    date_month_day: Regex,
    date_chinese_month: Regex,
    date_relative: Regex,
}

fn other_patterns() -> &'static OtherPatterns {
    static P: OnceLock<OtherPatterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("static pattern");
        let cn = "[零〇一二两三四五六七八九十百千]";
        OtherPatterns {
            agencies: AGENCIES.iter().map(|(p, c)| (re(p), *c)).collect(),
            channels: CHANNELS.iter().map(|(p, c)| (re(&format!("(?i){p}")), *c)).collect(),
            documents: re(DOCUMENTS),
            generic_proof: re(r"\p{Han}{2,6}证明书?"),
            roles: re(ROLES),
            organisation: re(
                r"([\p{Han}A-Za-z0-9]{1,16}?)(有限责任公司|股份有限公司|有限公司|公司|律师事务所|律所|事务所|工作室|咨询中心|服务中心|信用卡中心|中心|村民委员会|居民委员会|委员会)",
            ),
            teacher: re(r"[\p{Han}A-Za-z]{0,4}老师"),
            anonymised: re(&format!("[{SURNAMES}]某{{1,2}}|某某")),
            amount_digits: re(
                r"((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)\s*(多|余)?\s*(亿|万|千|百)?\s*(多|余)?\s*(元|块钱|块)",
            ),
            amount_wan: re(r"([0-9]+(?:\.[0-9]+)?)\s*(亿|万)(多|余)?"),
            amount_symbol: re(r"(?:¥|￥|人民币|RMB|rmb)\s*((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)\s*(亿|万|千)?"),
            // "花了3800找人": a bare number right after a money verb.
            amount_after_verb: re(
                r"(?:花了?|交了?|付了?|转了?|支付了?|欠了?|借了?|还了?|扣了?|收了?|赔了?)\s*([0-9]+(?:\.[0-9]+)?)",
            ),
            amount_chinese: re(&format!(
                "({cn}+)(亿|万)?({cn}*)(多|余)?(元|块钱|块)|({cn}+)(亿|万)({cn}*)(多|余)?"
            )),
            date_full: re(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]"),
            date_dashed: re(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"),
            date_month: re(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月份?"),
            date_year: re(r"([0-9]{4})\s*年(?:底|初|中|间)?"),
            date_month_day: re(r"([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]"),
            date_chinese_month: re(
                "(?:去年|今年|前年|明年)?(?:十[一二]|[一二三四五六七八九十])月(?:份|底|初|中)?",
            ),
            date_relative: re(
                "去年底|去年|前年|今年|明年|上个月|上月|这个月|本月|下个月|上周|本周|这周|下周|昨天晚上|昨晚|昨天|前天|今天|次日|当天",
            ),
        }
    })
}

/// Cut `name` on the left at the last char that cannot belong to a name.
fn trim_name(name: &str) -> &str {
    match name
        .char_indices()
        .rev()
        .find(|(_, c)| NAME_STOPS.contains(*c))
    {
        Some((i, c)) => &name[i + c.len_utf8()..],
        None => name,
    }
}

/// Yuan amount from a number and its unit; `None` for something unparseable.
fn yuan(number: f64, unit: Option<&str>) -> f64 {
    number
        * match unit {
            Some("亿") => 1e8,
            Some("万") => 1e4,
            Some("千") => 1e3,
            Some("百") => 1e2,
            _ => 1.0,
        }
}

fn yuan_string(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn cn_digit(c: char) -> Option<u32> {
    "零一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u32)
        .or(match c {
            '〇' => Some(0),
            '两' => Some(2),
            _ => None,
        })
}

/// A Chinese numeral below 10,000 ("三千六百", "十二", "两", "一千八" =
/// 1800); `None` for ranges such as "七八" that name no single number.
fn cn_number(s: &str) -> Option<f64> {
    let mut total = 0u32;
    let mut digit: Option<u32> = None;
    let mut last_unit = 0u32;
    let mut zero_since_unit = false;
    for c in s.chars() {
        if let Some(d) = cn_digit(c) {
            if digit.is_some_and(|x| x != 0) {
                return None; // two digits in a row: a range
            }
            zero_since_unit |= d == 0;
            digit = Some(d);
        } else {
            let unit = match c {
                '十' => 10,
                '百' => 100,
                '千' => 1000,
                _ => return None,
            };
            total += digit.unwrap_or(1) * unit;
            digit = None;
            last_unit = unit;
            zero_since_unit = false;
        }
    }
    let rest = match digit {
        // "一千八": a lone digit after 百/千 is the next place down.
        Some(d) if last_unit >= 100 && !zero_since_unit => d * last_unit / 10,
        Some(d) => d,
        None => 0,
    };
    Some(f64::from(total + rest))
}

fn valid_date(y: u32, m: u32, d: Option<u32>) -> bool {
    (1900..=2100).contains(&y) && (1..=12).contains(&m) && d.is_none_or(|d| (1..=31).contains(&d))
}

fn other_candidates(f: &Folded) -> Vec<Candidate> {
    let p = other_patterns();
    let t = f.text.as_str();
    let mut out: Vec<Candidate> = Vec::new();
    let mut push =
        |start: usize, end: usize, kind: FactKind, normalized: Option<String>, key: String| {
            out.push(Candidate {
                start,
                end,
                kind,
                value: String::new(),
                normalized,
                key,
            })
        };

    for (re, canonical) in &p.agencies {
        for m in re.find_iter(t) {
            let digits_only = m.as_str().chars().all(|c| c.is_ascii_digit());
            if digits_only && !standalone(t, m.start(), m.end()) {
                continue;
            }
            push(
                m.start(),
                m.end(),
                FactKind::Agency,
                Some(canonical.to_string()),
                canonical.to_string(),
            );
        }
    }
    for (re, canonical) in &p.channels {
        for m in re.find_iter(t) {
            let latin = m.as_str().chars().all(|c| c.is_ascii_alphabetic());
            if latin && !standalone_letters(t, m.start(), m.end()) {
                continue;
            }
            push(
                m.start(),
                m.end(),
                FactKind::Channel,
                Some(canonical.to_string()),
                canonical.to_string(),
            );
        }
    }
    for m in p.documents.find_iter(t) {
        if m.as_str() == "合同" && t[m.end()..].starts_with('价') {
            continue;
        }
        push(
            m.start(),
            m.end(),
            FactKind::Document,
            None,
            m.as_str().to_string(),
        );
    }
    for m in p.generic_proof.find_iter(t) {
        let name = trim_name(m.as_str());
        // A listed document ending here is reported as itself.
        let listed = p
            .documents
            .find_iter(m.as_str())
            .any(|d| d.end() == m.as_str().len());
        if !listed && name.chars().count() >= 4 {
            let start = m.end() - name.len();
            push(start, m.end(), FactKind::Document, None, name.to_string());
        }
    }
    for m in p.roles.find_iter(t) {
        push(
            m.start(),
            m.end(),
            FactKind::Party,
            None,
            m.as_str().to_string(),
        );
    }
    for c in p.organisation.captures_iter(t) {
        let (prefix, suffix) = (c.get(1).expect("prefix"), c.get(2).expect("suffix"));
        let name_prefix = trim_name(prefix.as_str());
        if name_prefix.chars().count() < 2 && name_prefix != "某" {
            continue;
        }
        let start = prefix.end() - name_prefix.len();
        let name = &t[start..suffix.end()];
        let kind = if AGENCY_WORDS.iter().any(|w| name.contains(w)) {
            FactKind::Agency
        } else {
            FactKind::Party
        };
        push(start, suffix.end(), kind, None, name.to_string());
    }
    for m in p.teacher.find_iter(t) {
        let name = trim_name(m.as_str());
        let start = m.end() - name.len();
        push(start, m.end(), FactKind::Party, None, name.to_string());
    }
    for m in p.anonymised.find_iter(t) {
        push(
            m.start(),
            m.end(),
            FactKind::Party,
            None,
            m.as_str().to_string(),
        );
    }

    // Amounts.
    let number = |s: &str| s.replace(',', "").parse::<f64>().ok();
    let mut amount = |start: usize, end: usize, x: f64| {
        if x.is_finite() && x > 0.0 {
            let n = yuan_string(x);
            push(start, end, FactKind::Amount, Some(n.clone()), n);
        }
    };
    for c in p.amount_digits.captures_iter(t) {
        let m = c.get(0).expect("match");
        if t[..m.start()].ends_with('第') || !standalone_digits(t, m.start()) {
            continue;
        }
        if let Some(x) = number(&c[1]) {
            amount(m.start(), m.end(), yuan(x, c.get(3).map(|u| u.as_str())));
        }
    }
    for c in p.amount_wan.captures_iter(t) {
        let m = c.get(0).expect("match");
        let next = t[m.end()..].chars().next();
        if next.is_some_and(|n| "人次份件张笔条个户名字公里平".contains(n))
            || !standalone_digits(t, m.start())
        {
            continue;
        }
        if let Some(x) = number(&c[1]) {
            amount(m.start(), m.end(), yuan(x, c.get(2).map(|u| u.as_str())));
        }
    }
    for c in p.amount_after_verb.captures_iter(t) {
        let m = c.get(1).expect("number");
        let next = t[m.end()..].chars().next();
        if next.is_some_and(|n| {
            n.is_ascii_digit()
                || n == '.'
                || "个次期天月年%岁号倍份笔张人家万千百元块多余".contains(n)
        }) {
            continue;
        }
        if let Some(x) = number(m.as_str()) {
            amount(m.start(), m.end(), x);
        }
    }
    for c in p.amount_symbol.captures_iter(t) {
        let m = c.get(0).expect("match");
        if let Some(x) = number(&c[1]) {
            amount(m.start(), m.end(), yuan(x, c.get(2).map(|u| u.as_str())));
        }
    }
    for c in p.amount_chinese.captures_iter(t) {
        let m = c.get(0).expect("match");
        if t[..m.start()].ends_with('第') {
            continue;
        }
        // Either "三万六千元" style (groups 1-5) or "一万二" style (groups 6-9).
        let (head, unit, tail) = if c.get(1).is_some() {
            (&c[1], c.get(2), c.get(3))
        } else {
            (&c[6], c.get(7), c.get(8))
        };
        let next = t[m.end()..].chars().next();
        if next.is_some_and(|n| "人次份件张笔条个户名字公里平".contains(n)) {
            continue;
        }
        let Some(h) = cn_number(head) else { continue };
        let tail = tail.map_or("", |t| t.as_str());
        let value = match unit.map(|u| u.as_str()) {
            Some(u) => {
                let scale = yuan(1.0, Some(u));
                let mut chars = tail.chars();
                let rest = match (chars.next(), chars.next()) {
                    (None, _) => 0.0,
                    // "一万二" = 1.2万: a lone digit after the unit is the next place down.
                    (Some(d), None) if cn_digit(d).is_some() => {
                        f64::from(cn_digit(d).unwrap_or(0)) * scale / 10.0
                    }
                    _ => match cn_number(tail) {
                        Some(x) => x,
                        None => continue,
                    },
                };
                h * scale + rest
            }
            None => {
                if !tail.is_empty() {
                    continue;
                }
                h
            }
        };
        amount(m.start(), m.end(), value);
    }

    // Dates.
    let num = |s: &str| s.parse::<u32>().ok();
    for c in p
        .date_full
        .captures_iter(t)
        .chain(p.date_dashed.captures_iter(t))
    {
        let m = c.get(0).expect("match");
        if let (Some(y), Some(mo), Some(d)) = (num(&c[1]), num(&c[2]), num(&c[3]))
            && valid_date(y, mo, Some(d))
            && standalone_digits(t, m.start())
        {
            let iso = format!("{y:04}-{mo:02}-{d:02}");
            push(m.start(), m.end(), FactKind::Date, Some(iso.clone()), iso);
        }
    }
    for c in p.date_month.captures_iter(t) {
        let m = c.get(0).expect("match");
        if let (Some(y), Some(mo)) = (num(&c[1]), num(&c[2]))
            && valid_date(y, mo, None)
            && standalone_digits(t, m.start())
        {
            let iso = format!("{y:04}-{mo:02}");
            push(m.start(), m.end(), FactKind::Date, Some(iso.clone()), iso);
        }
    }
    for c in p.date_year.captures_iter(t) {
        let m = c.get(0).expect("match");
        if let Some(y) = num(&c[1])
            && valid_date(y, 1, None)
            && standalone_digits(t, m.start())
        {
            let iso = format!("{y:04}");
            push(
                m.start(),
                m.end(),
                FactKind::Date,
                Some(iso.clone()),
                m.as_str().to_string(),
            );
        }
    }
    for c in p.date_month_day.captures_iter(t) {
        let m = c.get(0).expect("match");
        if let (Some(mo), Some(d)) = (num(&c[1]), num(&c[2]))
            && valid_date(2000, mo, Some(d))
            && standalone_digits(t, m.start())
        {
            push(
                m.start(),
                m.end(),
                FactKind::Date,
                None,
                m.as_str().to_string(),
            );
        }
    }
    for re in [&p.date_chinese_month, &p.date_relative] {
        for m in re.find_iter(t) {
            push(
                m.start(),
                m.end(),
                FactKind::Date,
                None,
                m.as_str().to_string(),
            );
        }
    }
    out
}

/// No digit right before `start` (so "12024年" is not the year 2024).
fn standalone_digits(text: &str, start: usize) -> bool {
    !text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_digit())
}

/// No ASCII letter on either side ("app" is not inside "happy").
fn standalone_letters(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphabetic())
        && !after.is_some_and(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(facts: &'a [Fact], kind: FactKind, value: &str) -> Option<&'a Fact> {
        facts.iter().find(|f| f.kind == kind && f.value == value)
    }

    fn assert_spans_valid(original: &str, facts: &[Fact]) {
        for (i, f) in facts.iter().enumerate() {
            assert_eq!(f.id, format!("F{}", i + 1));
            assert!(
                f.span.start < f.span.end && f.span.end <= original.len(),
                "{f:?}"
            );
            assert!(
                original.is_char_boundary(f.span.start) && original.is_char_boundary(f.span.end)
            );
            if !f.kind.is_pii() {
                assert_eq!(&original[f.span.start..f.span.end], f.span.text, "{f:?}");
            }
        }
        let starts: Vec<usize> = facts.iter().map(|f| f.span.start).collect();
        assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    }

    fn values(facts: &[Fact], kind: FactKind) -> Vec<&str> {
        facts
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.value.as_str())
            .collect()
    }

    const PII_TEXT: &str = "我叫王某，手机13812345678，身份证110101199003071234，工资卡6222021234567890123，\
        对方微信号：fc_laoshi888，QQ：123456789，邮箱zhangsan1990@example.com，座机010-87654321。";

    #[test]
    fn personal_numbers_never_appear_raw() {
        let facts = extract_facts(PII_TEXT);
        assert_spans_valid(PII_TEXT, &facts);
        let raw = [
            "13812345678",
            "110101199003071234",
            "6222021234567890123",
            "fc_laoshi888",
            "123456789",
            "zhangsan1990",
            "87654321",
        ];
        for f in &facts {
            for r in raw {
                for s in [&f.value, &f.span.text] {
                    assert!(!s.contains(r), "raw {r} in {f:?}");
                }
                assert!(!f.normalized.as_deref().unwrap_or("").contains(r), "{f:?}");
            }
        }
        assert!(
            find(&facts, FactKind::Phone, "138****5678").is_some(),
            "{facts:#?}"
        );
        assert!(
            find(&facts, FactKind::IdNumber, "110*************34").is_some(),
            "{facts:#?}"
        );
        assert!(
            find(&facts, FactKind::Account, "****0123").is_some(),
            "{facts:#?}"
        );
        assert!(
            find(&facts, FactKind::Contact, "fc****88").is_some(),
            "{facts:#?}"
        );
        assert!(
            find(&facts, FactKind::Contact, "12****89").is_some(),
            "{facts:#?}"
        );
        assert!(
            find(&facts, FactKind::Contact, "zh***@example.com").is_some(),
            "{facts:#?}"
        );
        assert!(
            find(&facts, FactKind::Phone, "010****4321").is_some(),
            "{facts:#?}"
        );
        // the masked span still points at the number in the original
        let phone = find(&facts, FactKind::Phone, "138****5678").unwrap();
        assert_eq!(&PII_TEXT[phone.span.start..phone.span.end], "13812345678");
        assert_eq!(phone.span.text, "138****5678");
    }

    #[test]
    fn mask_pii_masks_every_number_and_keeps_the_rest() {
        let masked = mask_pii(PII_TEXT);
        for raw in [
            "13812345678",
            "110101199003071234",
            "6222021234567890123",
            "fc_laoshi888",
            "123456789",
            "zhangsan1990",
            "87654321",
        ] {
            assert!(!masked.contains(raw), "{raw} in {masked}");
        }
        assert!(
            masked.starts_with(
                "我叫王某，手机138****5678，身份证110*************34，工资卡****0123，"
            ),
            "{masked}"
        );
        assert!(
            masked.contains("微信号：fc****88") && masked.contains("QQ：12****89"),
            "{masked}"
        );
        let plain = "请在2024年3月5日前退还88元年费。";
        assert_eq!(mask_pii(plain), plain);
    }

    #[test]
    fn a_phone_inside_an_account_is_not_a_phone_and_grouped_numbers_are_read() {
        let text = "还款账户6222 1381 2345 6789 012，另有手机138-1234-5678和+86 139 8765 4321。";
        let facts = extract_facts(text);
        assert_eq!(
            values(&facts, FactKind::Account),
            ["****9012"],
            "{facts:#?}"
        );
        assert_eq!(
            values(&facts, FactKind::Phone),
            ["138****5678", "139****4321"],
            "{facts:#?}"
        );
        assert!(
            mask_pii(text).contains("还款账户****9012，"),
            "{}",
            mask_pii(text)
        );
        // too many digits for any of them: left alone
        let long = "订单号12345678901234567890123";
        assert!(extract_facts(long).iter().all(|f| !f.kind.is_pii()));
    }

    #[test]
    fn full_width_numbers_are_masked_too() {
        let text = "我的手机是１３９１２３４５６７８。";
        let facts = extract_facts(text);
        let phone = facts.iter().find(|f| f.kind == FactKind::Phone).unwrap();
        assert_eq!(phone.value, "139****5678");
        assert_eq!(
            &text[phone.span.start..phone.span.end],
            "１３９１２３４５６７８"
        );
        assert_eq!(mask_pii(text), "我的手机是139****5678。");
    }

    #[test]
    fn amounts_are_normalised_to_yuan() {
        let text = "我交了1800块服务费，欠款4万多，贷款15.8万元，年费88元，逾期金额一万二，每年交两万，共计12,600元，转了¥3000，三万六千元。";
        let facts = extract_facts(text);
        assert_spans_valid(text, &facts);
        let amounts: Vec<(&str, &str)> = facts
            .iter()
            .filter(|f| f.kind == FactKind::Amount)
            .map(|f| (f.value.as_str(), f.normalized.as_deref().unwrap()))
            .collect();
        assert_eq!(
            amounts,
            [
                ("1800块", "1800"),
                ("4万多", "40000"),
                ("15.8万元", "158000"),
                ("88元", "88"),
                ("一万二", "12000"),
                ("两万", "20000"),
                ("12,600元", "12600"),
                ("¥3000", "3000"),
                ("三万六千元", "36000"),
            ]
        );
        // counts, ranges and percentages are not money
        let none = extract_facts("第三方说七八千，首付30%，分60期，3万次");
        assert!(none.iter().all(|f| f.kind != FactKind::Amount), "{none:#?}");
    }

    #[test]
    fn dates_get_iso_forms_where_complete() {
        let text = "2024年3月5日签约，2024-03-06付款，2022年已结清，2023年5月逾期，去年九月受伤，3月8日来电，上个月投诉。";
        let facts = extract_facts(text);
        assert_spans_valid(text, &facts);
        let dates: Vec<(&str, Option<&str>)> = facts
            .iter()
            .filter(|f| f.kind == FactKind::Date)
            .map(|f| (f.value.as_str(), f.normalized.as_deref()))
            .collect();
        assert_eq!(
            dates,
            [
                ("2024年3月5日", Some("2024-03-05")),
                ("2024-03-06", Some("2024-03-06")),
                ("2022年", Some("2022")),
                ("2023年5月", Some("2023-05")),
                ("去年九月", None),
                ("3月8日", None),
                ("上个月", None),
            ]
        );
    }

    #[test]
    fn parties_agencies_channels_and_documents() {
        let text = "我已经交了1800块服务费给一家咨询公司，某信用管理咨询有限公司的张某某让我加微信群，\
            说fc老师会向银保监会和12378投诉，还要找电视台。附件是村委会出具的贫困证明和授权委托书，\
            中国人民银行征信中心的确认书是假的。";
        let facts = extract_facts(text);
        assert_spans_valid(text, &facts);
        let parties = values(&facts, FactKind::Party);
        for p in ["咨询公司", "某信用管理咨询有限公司", "张某某", "fc老师"] {
            assert!(parties.contains(&p), "{p} missing from {parties:?}");
        }
        let agencies: Vec<&str> = facts
            .iter()
            .filter(|f| f.kind == FactKind::Agency)
            .map(|f| f.normalized.as_deref().unwrap())
            .collect();
        assert!(agencies.contains(&"国家金融监督管理总局"), "{agencies:?}");
        assert!(
            agencies.iter().any(|a| a.starts_with("12378")),
            "{agencies:?}"
        );
        assert!(agencies.contains(&"媒体"), "{agencies:?}");
        assert!(agencies.contains(&"中国人民银行征信中心"), "{agencies:?}");
        assert!(
            values(&facts, FactKind::Channel).contains(&"微信群"),
            "{facts:#?}"
        );
        let docs = values(&facts, FactKind::Document);
        for d in ["贫困证明", "授权委托书", "确认书"] {
            assert!(docs.contains(&d), "{d} missing from {docs:?}");
        }
    }

    #[test]
    fn repeated_facts_are_reported_once_at_their_first_place() {
        let text = "本人手机13812345678，本人再说一遍13812345678，本人。";
        let facts = extract_facts(text);
        assert_eq!(values(&facts, FactKind::Party), ["本人"]);
        assert_eq!(values(&facts, FactKind::Phone), ["138****5678"]);
        assert_eq!(facts.len(), 2, "{facts:#?}");
        assert_eq!(facts[0].span.start, 0);
    }

    #[test]
    fn traditional_text_is_read() {
        let text = "我已向銀保監會投訴，對方微信號：abc12345，借款合同在這裡。";
        let facts = extract_facts(text);
        assert_spans_valid(text, &facts);
        let agency = facts.iter().find(|f| f.kind == FactKind::Agency).unwrap();
        assert_eq!(agency.value, "銀保監會");
        assert_eq!(agency.normalized.as_deref(), Some("国家金融监督管理总局"));
        assert!(
            find(&facts, FactKind::Contact, "ab****45").is_some(),
            "{facts:#?}"
        );
        assert!(
            find(&facts, FactKind::Document, "借款合同").is_some(),
            "{facts:#?}"
        );
    }

    #[test]
    fn labelled_examples_extract_without_leaking_numbers() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge-base/examples");
        let mut total = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                let text = v["text"].as_str().unwrap();
                let facts = extract_facts(text);
                assert_spans_valid(text, &facts);
                total += facts.len();
                let masked = mask_pii(text);
                for f in facts.iter().filter(|f| f.kind.is_pii()) {
                    let raw = &text[f.span.start..f.span.end];
                    assert!(!masked.contains(raw) || raw == f.value, "{raw} leaked");
                }
            }
        }
        assert!(total > 300, "only {total} facts in the examples");
    }

    #[test]
    fn empty_and_odd_inputs_do_not_panic() {
        for text in [
            "",
            "元",
            "万元",
            "¥",
            "微信号：",
            "QQ",
            "@",
            "第十二万",
            "2024年13月40日",
            "１２３",
        ] {
            let facts = extract_facts(text);
            assert_spans_valid(text, &facts);
            let _ = mask_pii(text);
        }
    }
}
