//! Model-free fraud signals: what in a complaint or an application points
//! to a scheme, and what points away from one.
//!
//! The classifier fuses these with retrieval and the LLM, and the evidence
//! chain quotes them, so each signal says what it is (a short label), why it
//! matters (one sentence), where it is (a span of the customer's original
//! words, found through `normalize`), how strong it is and which scheme ids
//! it points to. Four sources:
//!
//! - **slang** from the curated lexicon, matched on the normalised text so
//!   "征 信", "ＺＸ" and 徵信 all count;
//! - **text cues**: regular expressions over the normalised text for threats,
//!   third parties, fees, templates, forged or synthetic material, and the
//!   cues of a genuine customer (`Legitimate`, pointing to `none`);
//! - a few **combinations** that only mean something together (stop-interest
//!   demand + total waiver + threat; a stack of insurance-complaint stock
//!   phrases; several legal citations; a numbered demand list);
//! - **cross-checks** of an application's structured fields.
//!
//! Flagging a real customer is the most expensive error this product can
//! make (design §2), so cues that genuine customers also produce — a mention
//! of 12378, 停息挂账, a hardship certificate, a numbered list — stay below
//! 0.5 and only combinations or third-party evidence rise above it. When the
//! writer distances themselves from intermediaries ("我不想找中介", "怕被骗"),
//! the weak and medium cues in the same text are halved: such a writer
//! quotes the scheme, they are not running it. A writer who *was* cheated
//! ("被骗了", "已经报警") is a victim: the scheme is still what the case
//! involves (design §2), so those words are no evidence for `none`.

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::applicant::Applicant;
use super::normalize::{Normalized, normalize};
use super::soundalike::SoundAlike;
use crate::kb::lexicon::Lexicon;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Slang,
    Template,
    RegulatorThreat,
    MediaThreat,
    ThirdPartyAgent,
    FeeDemand,
    HardshipProof,
    ForgedDocument,
    CreditRepairPromise,
    SurrenderCoaching,
    SyntheticMedia,
    CrossCheck,
    /// Links to earlier submissions: a shared template or identifier.
    Campaign,
    Legitimate,
}

/// Byte offsets into the ORIGINAL text; `text` is that slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signal {
    pub kind: SignalKind,
    /// Short Chinese label, e.g. "以监管投诉为条件施压".
    pub label: String,
    /// One Chinese sentence: why it matters.
    pub explanation: String,
    /// Where in the original text; None for structured cross-checks.
    pub span: Option<Span>,
    /// Applicant field(s) a cross-check compared, comma-separated.
    pub field: Option<String>,
    /// Strength, 0..=1.
    pub weight: f32,
    /// Scheme ids it points to; `["none"]` for Legitimate cues; empty for
    /// neutral vocabulary.
    pub schemes: Vec<String>,
}

impl Signal {
    /// True for a signal that points to at least one fraud scheme.
    pub fn is_fraud_cue(&self) -> bool {
        self.kind != SignalKind::Legitimate && self.schemes.iter().any(|s| s != NONE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Complaint,
    Application,
}

const IPD: &str = "illegal_proxy_rights_defense";
const PDB: &str = "professional_debt_bearing";
const CRS: &str = "credit_repair_scam";
const PIS: &str = "proxy_insurance_surrender";
const DFI: &str = "deepfake_impersonation";
const NONE: &str = "none";

/// Factor applied to dampable cues when the writer rejects intermediaries
/// or reports being a victim.
const DAMPING: f32 = 0.5;

// Lexicon weights: a term pointing to a scheme, one its note calls weak
// (real customers use it too), and neutral vocabulary (no scheme).
const SLANG_WEIGHT: f32 = 0.4;
const WEAK_SLANG_WEIGHT: f32 = 0.2;
const NEUTRAL_SLANG_WEIGHT: f32 = 0.05;

// Application cross-check thresholds.
/// Stated income above this multiple of the average bank inflow: the income
/// was probably packaged (流水对不上收入).
const INCOME_OVER_FLOW: f64 = 3.0;
/// Stated income within this multiple of the inflow counts as consistent.
const INCOME_MATCHES_FLOW: f64 = 1.3;
/// Contract price above this multiple of the appraisal: inflated price (高评高贷).
const PRICE_OVER_APPRAISAL: f64 = 1.3;
/// Contract price within this multiple of the appraisal counts as consistent.
const PRICE_MATCHES_APPRAISAL: f64 = 1.1;
/// A credit file younger than this many months is thin ("白户").
const THIN_FILE_MONTHS: u32 = 6;
/// A loan of at least this many yuan is large for a thin file.
const LARGE_LOAN: f64 = 300_000.0;
/// A down payment at or below this ratio is zero or near zero.
const NEAR_ZERO_DOWN: f64 = 0.05;
/// Collateral resold within this many months was flipped.
const QUICK_RESALE_MONTHS: u32 = 6;
/// Resold within this many months: a strong flip.
const VERY_QUICK_RESALE_MONTHS: u32 = 1;
/// A stated monthly income at least this high with neither social insurance
/// nor provident fund does not fit an employee.
const HIGH_INCOME_NO_INSURANCE: f64 = 20_000.0;

/// Which schemes a text cue points to.
#[derive(Clone, Copy)]
enum Points {
    To(&'static [&'static str]),
    /// The schemes the rest of the text is about (see `Context`): fees,
    /// third parties and threats mean proxy rights-defence in a debt
    /// complaint and proxy surrender in an insurance one.
    Context,
    /// `none`.
    Legit,
}

/// Skip a match with a negation (不/没/别/未/勿/无/拒) in the three chars before it.
const NEG: u8 = 1;
/// Halve the weight when the writer rejects intermediaries or is a victim.
const DAMP: u8 = 2;
/// This cue shows the writer rejects intermediaries or is a victim: it
/// triggers the halving of the `DAMP` cues.
const DAMPER: u8 = 4;

struct Cue {
    kind: SignalKind,
    weight: f32,
    points: Points,
    flags: u8,
    /// Regex over the normalised text; `~` stands for one char of the same
    /// sentence, `{REG}`, `{MEDIA}`, `{COND}` for the groups below.
    pattern: &'static str,
    /// Skip the match when this regex matches the match plus the next 6 chars.
    reject: &'static str,
    /// Skip the match when this regex matches the 6 chars before it.
    reject_before: &'static str,
    /// Skip the match when the char just before it is one of these.
    not_after: &'static str,
    label: &'static str,
    explanation: &'static str,
}

/// Regulators and their hotlines.
const REG: &str = "(?:12378|12363|12315|银保监|银监|保监|金融监管|监管局|金管局|监管部门|监管机构|监管那边|人民银行|央行|信访|消协|消费者协会)";
/// Media and public opinion.
const MEDIA: &str = "(?:曝光|媒体|舆论|电视台|记者|热搜|发帖|发到网上|网上发|发抖音|发微博|自媒体)";
/// Words before "老师" that make it a real teacher.
const SCHOOL: &str = "孩子|学校|班主任|学生|女儿|儿子|幼儿园|大学|中学|小学|补习|培训班";
/// "Otherwise / if you refuse".
const COND: &str = "(?:否则|不然|如不|若不|如果不|要是不|拒不|逾期未|不予|不答应|不同意|不给办|不处理|不退|不删|不办)";

const fn cue(
    kind: SignalKind,
    weight: f32,
    points: Points,
    flags: u8,
    pattern: &'static str,
    label: &'static str,
    explanation: &'static str,
) -> Cue {
    Cue {
        kind,
        weight,
        points,
        flags,
        pattern,
        reject: "",
        reject_before: "",
        not_after: "",
        label,
        explanation,
    }
}

use Points::{Context as Ctx, Legit, To};
use SignalKind::*;

#[rustfmt::skip]
const CUES: &[Cue] = &[
    // ---- threats to complain to regulators ----
    cue(RegulatorThreat, 0.15, Ctx, DAMP, "{REG}",
        "提及监管投诉渠道",
        "向监管热线投诉是消费者的正当权利，单独出现不说明任何问题，只在与模板、第三方或索要减免同时出现时才有参考意义。"),
    cue(RegulatorThreat, 0.35, Ctx, DAMP, "{COND}~{0,24}{REG}",
        "以监管投诉为条件施压",
        "把向监管投诉作为不满足诉求的后果是代理维权模板的常见写法，但真实客户在处理拖延时也会这样表达。"),
    cue(RegulatorThreat, 0.5, Ctx, DAMP,
        "(?:集中|集体|联合|群体|批量)~{0,16}(?:投诉|举报|反映|曝光|维权)|(?:天天|每天|一直|反复|持续|坚持|不停)~{0,4}(?:投诉|举报|打12378|打12363|打热线|投(?:$|[^保资入]))",
        "扬言集中或反复投诉",
        "组织集中投诉、“一直投”是黑产以投诉量逼机构让步的典型手段。"),
    // ---- media pressure ----
    cue(MediaThreat, 0.25, Ctx, DAMP, "{MEDIA}",
        "提及媒体曝光或舆论",
        "以曝光、舆论施压是代理维权的常见筹码，但愤怒的真实客户也会这样说，需要结合其他信号。"),
    cue(MediaThreat, 0.4, Ctx, DAMP, "{COND}~{0,24}{MEDIA}",
        "以媒体曝光为条件施压",
        "以“不答应就曝光”为筹码索要减免或退款，是非法代理维权和代理退保的施压话术。"),
    // ---- third parties ----
    cue(ThirdPartyAgent, 0.65, Ctx, DAMP,
        "(?:维权|协商|法务|上岸|修复|债务|信用|fc|反催|规划)老师",
        "提到维权/协商“老师”",
        "黑产社群由“老师”统一培训话术、提供模板，客户提到这类老师说明有第三方在背后指导。"),
    Cue {
        reject_before: SCHOOL,
        ..cue(ThirdPartyAgent, 0.5, Ctx, DAMP, "老师(?:说|让|讲|教|指导|安排)",
            "照“老师”的指导行事",
            "客户转述“老师”的要求，说明诉求和说法可能来自中介培训而不是本人。")
    },
    Cue {
        reject_before: SCHOOL,
        ..cue(ThirdPartyAgent, 0.25, Ctx, DAMP, "老师",
            "提到“老师”",
            "“老师”是代理维权社群对组织者的常见称呼，单独出现意义有限。")
    },
    Cue {
        reject: "(?:银行|贵行|你们|贵司|法院)~{0,4}委托|委托的?(?:催收|外包)",
        ..cue(ThirdPartyAgent, 0.7, Ctx, 0,
            "受~{0,10}委托|委托(?:我们|我方|我司|我中心)|受托(?:人|方)|委托人|我司(?:律师|将|全权|指定|受|代表|已受)|我中心|本中心|我们是~{0,12}(?:公司|团队|中心|机构|工作室|科技|咨询|律所|律师事务所)",
            "第三方机构代为交涉",
            "以机构或受托人身份替客户交涉，说明有第三方介入，需要核查是否有本人亲笔签名的委托书。")
    },
    Cue {
        reject: "催收",
        ..cue(ThirdPartyAgent, 0.65, Ctx, DAMP,
            "委托了?(?:专业|某|一家|法务|团队|机构|公司|咨询|代理|第三方|他们)",
            "已委托第三方处理",
            "客户把与机构的交涉交给收费的第三方，是非法代理维权和代理退保的典型环节。")
    },
    cue(ThirdPartyAgent, 0.55, Ctx, NEG | DAMP,
        "全权(?:代理|处理|负责)|维权(?:中心|公司|机构|工作室)|法务顾问|法务团队|律师团队|专业团队|协商团队|维权团队|修复团队|专业人士|懂行的人|专业机构",
        "提到代理团队或“专业人士”",
        "自称法务、律师团队或专业人士的第三方代为处理，常是收费代理机构。"),
    Cue {
        // "代理人：" opens a line of a call transcript: the insurer's own
        // agent speaking, not a third party.
        reject: "^代理人[:：]",
        ..cue(ThirdPartyAgent, 0.45, Ctx, NEG | DAMP, "代理人",
            "提到代理人",
            "代理人介入需要核查授权是否真实；家属持本人签字委托书代办属于正常情形。")
    },
    Cue {
        // 业主群、家族群、工作群: where a collector threatens to post, not
        // where an agency recruits.
        reject_before: "(?:业主|家族|家庭|亲戚|工作|同事|公司|单位|班级|小区)$",
        ..cue(ThirdPartyAgent, 0.45, Ctx, NEG | DAMP,
            "中介|黄牛|维权群|反催群|群里|群主|管理员|有人(?:说|帮|教|让|告诉)|找人|朋友介绍了?一个人",
            "提到中介或群里的人",
            "诉求的来源是中介、维权群或“有人说”，提示可能受到黑产引流。")
    },
    cue(ThirdPartyAgent, 0.7, Ctx, 0,
        "(?:不要|别|勿|不得|不能|不准)再?(?:直接)?(?:联系|打给?|找|打扰|骚扰)(?:我|他|她|客户|委托人)?本人|只对接|(?:不要|别)接~{0,4}电话|直接(?:跟|和|找)(?:他们|他|对方|代理人|我们|我方)(?:谈|对接)?|(?:跟|和|与)(?:我们|我方|我司)对接|联系我的代理人|(?:走|通过)对方的|对接我(?:中心|司|方)|与我中心对接",
        "要求机构不得联系本人",
        "第三方要求机构只与其对接、让客户不接机构电话，是切断机构与本人联系、控制沟通的典型做法。"),
    cue(ThirdPartyAgent, 0.65, Ctx, DAMP,
        "帮(?:我|你|他)写投诉|让我照着(?:投诉|写|说)|念稿|照着念出|(?:按|照)(?:他|她|老师|他们|中介)(?:说|教)的|教(?:我|他|她)这么(?:写|说)|让(?:我|他|她)这么(?:写|说)|(?:他|她)们?让我先",
        "按他人教的话术投诉",
        "客户照着别人教的说法投诉或念稿，说明诉求是被指导的而不是本人的真实陈述。"),
    cue(ThirdPartyAgent, 0.65, Ctx, 0,
        "代答|替(?:客户|他|她|申请人)回答|陪同(?:人员)?~{0,6}(?:代|替)|背景里~{0,8}有人|有人~{0,4}提示|(?:旁边|身边|背景里?)~{0,6}提示",
        "他人代答或在旁提示",
        "陪同人员代答或有人在旁提示，说明本人可能只是被利用的名义当事人。"),
    cue(ThirdPartyAgent, 0.55, Ctx, 0,
        "(?:联系电话|联系方式|电话)~{0,12}(?:不符|不一致)",
        "联系方式与预留信息不符",
        "投诉留的联系方式不是本人预留的，常见于中介截断机构与本人的联系。"),
    cue(ThirdPartyAgent, 0.75, To(&[PDB]), 0,
        "(?:帮忙|借)~{0,6}(?:用|拿)~{0,3}身份证|车他们开|贷款他们还|(?:老板|他们|中介)安排的|签字就行",
        "借款人被人安排贷款",
        "借款人承认是被人安排贷款或借出身份，说明存在招募背债人的团伙。"),
    // ---- fees and cuts ----
    cue(FeeDemand, 0.6, Ctx, DAMP, "抽成|辛苦费|好处费|代理费|介绍费|手续费先付|服务费先付",
        "提到代理抽成或辛苦费",
        "向第三方支付抽成或辛苦费，说明存在以代理投诉、代办牟利的中介。"),
    Cue {
        reject_before: "为了|经理|业务员|员工|柜员|银行|贵行|你们",
        ..cue(FeeDemand, 0.4, Ctx, DAMP, "服务费|咨询费|前期费|加急费|包装费|提成|手续费~{0,3}\\d+%",
            "提到服务费或前期费",
            "中介常以服务费、前期费的名义收费，但这类词也会出现在正常的费用争议里。")
    },
    cue(FeeDemand, 0.65, Ctx, DAMP,
        "(?:交了|付了|支付了?|花了|预付|转了)~{0,10}(?:服务费|咨询费|费用|辛苦费)~{0,6}(?:给|找)|(?:群里|老师|中介|他们|公司)~{0,8}(?:交|付)了?~{0,8}(?:押金|定金)|只要(?:交|付|花)\\d+(?:\\.\\d+)?(?:万|千)?(?:元|块)|(?:花|交|付|支付)了\\d+(?:\\.\\d+)?(?:万|千)?(?:元|块)?~{0,4}(?:找人|给(?:他|她|对方|中介|公司|一家)|请人)|(?:向|给)~{0,12}(?:公司|中心|机构|工作室|团队|中介)(?:支付|付|交|转)了?|(?:预付|先付|先交)~{0,4}(?:服务费|费用|钱)",
        "已向第三方付费",
        "客户已向中介或咨询公司付费，是有偿代理的直接证据。"),
    cue(FeeDemand, 0.8, Ctx, 0,
        "(?:减免|退保款|退款|退回来的钱|退出来的钱|追回)(?:部分|金额|额)?的?(?:一成|两成|二成|三成|四成|\\d+%|百分之)|(?:一成|两成|\\d+%|百分之[一二三四五六七八九十]+)~{0,6}(?:服务费|手续费|提成|抽成|佣金)|分给(?:对方|他们|中介|公司|老师)|(?:给|分给)(?:他们|对方|中介|公司|老师)~{0,2}(?:一成|两成|二成|三成|四成|五成|\\d+%|百分之)|按比例(?:分|收|抽)",
        "按减免或退款比例抽成",
        "按减免额或退款额的一定比例收费，是非法代理维权和代理退保牟利的标志。"),
    cue(FeeDemand, 0.6, Ctx, DAMP,
        "不成功不收费|先(?:协商|办理|办事)后(?:收费|付款)|成功后再?收|办成了?(?:再|要|才)?收|先办事后付款|不成功(?:全额)?退款|无效退款",
        "承诺成功后收费",
        "“不成功不收费”“办成再收”是收费中介招揽客户的承诺式话术。"),
    // ---- hardship proofs ----
    cue(HardshipProof, 0.1, Ctx, DAMP,
        "疾病证明|诊断证明|诊断书|贫困证明|困难证明|失业证明|低保|病历|住院证明|离职证明|手术记录|医院证明|村委会~{0,6}证明|非恶意逾期证明|身份被冒用证明",
        "提到困难证明材料",
        "真实困难的客户也会提供证明，只有来源可疑、格式雷同或经回查不实时才说明问题。"),
    cue(HardshipProof, 0.8, Ctx, 0,
        "(?:代开|买的?|花钱开|网上买|帮忙开|统一开|他们给的|群里发的)~{0,8}(?:证明|病历|诊断)|(?:证明|病历|诊断书?)~{0,12}(?:代开|买的|模板|统一格式|格式~{0,3}(?:一致|相同)|印章位置|字体~{0,4}(?:相同|一致)|查无|无该患者|从未出具|无开具单位)",
        "困难证明来源可疑或格式雷同",
        "困难证明由他人代开、购买或与其他投诉格式一致，是系统化伪造困难证明的迹象。"),
    cue(CrossCheck, 0.75, To(&[IPD]), 0,
        "(?:失业|无(?:任何)?收入)[^。]{0,60}(?:社保|公积金)[^。]{0,16}(?:正常缴纳|仍由|照常|正常缴)",
        "困难陈述与社保公积金记录矛盾",
        "自称失业或无收入，但社保、公积金仍在正常缴纳，困难陈述与客观数据矛盾。"),
    // ---- forged or packaged documents ----
    cue(ForgedDocument, 0.7, Ctx, NEG,
        "做流水|刷流水|假流水|流水造假|代开|p图|刻章|私刻|阴阳合同|虚开|包装(?:资料|收入|身份|流水|材料)|资料包装|全套包装",
        "包装或伪造材料",
        "做流水、代开证明、阴阳合同等是为骗贷或骗取减免伪造材料的黑话。"),
    cue(ForgedDocument, 0.4, Ctx, NEG | DAMP, "伪造|造假|假证|虚构",
        "提到伪造或虚构",
        "文中提到伪造，但也可能是客户指控他人造假，需要看是谁伪造了什么。"),
    cue(ForgedDocument, 0.75, Ctx, 0,
        "查无此(?:名|人|单位|公司)|查无|从未出具|无该患者|查询不到|非我行样式|(?:版式|样式|编号规则|笔迹|签名|印章|公章|页眉|字体)~{0,10}(?:不符|不一致|不同|对不上|非我行)|(?:余额|金额|流水)~{0,12}对不上|元数据~{0,10}(?:编辑|生成)|图像编辑软件",
        "材料经核查不实",
        "证明、流水、签章经回查与出具机构或留存样式不符，是伪造材料的直接证据。"),
    cue(ForgedDocument, 0.7, To(&[PDB]), 0,
        "整数~{0,8}(?:转入|入账|进出)|(?:当日|当天)(?:转出|进出)|每天进出金额相同|流水~{0,10}(?:格式|入账日期|金额)~{0,6}(?:一致|相同)",
        "流水整进整出",
        "整数转入、当日转出的流水多是刷出来的，用于虚增收入。"),
    cue(ForgedDocument, 0.45, To(&[PDB]), 0,
        "成立(?:仅|才|不到)?[\\d一二两三四五六七八九十几]+个?(?:月|天)|近半年内成立|刚成立|(?:上个月|近期|最近)才?(?:注册|成立)|新设|集中注册|商务秘书|空壳",
        "任职或经营主体新设",
        "任职公司或经营主体刚成立、集中注册，常是为背债人虚构身份的空壳公司。"),
    // ---- cross-checks stated in text ----
    cue(CrossCheck, 0.7, To(&[PDB]), 0,
        "(?:评估价|评估值)~{0,6}仅|(?:高出|高于)~{0,10}(?:评估|成交均价|指导价|同小区)|(?:比|较)~{0,12}(?:评估|成交均价|指导价)~{0,6}高|一路(?:升|涨)",
        "成交价明显高于评估价",
        "合同价显著高于评估价或市场价，是做高房价骗取超额贷款的迹象。"),
    cue(CrossCheck, 0.75, To(&[PDB]), 0,
        "放款后~{0,12}(?:过户|转卖|转让|断供|失联|逾期|上牌)|首期还款后即?~{0,4}(?:失联|断供|逾期)|(?:外省|异地)(?:过户|上牌)|在[a-z\\p{Han}]省上牌",
        "放款后快速转卖或断供",
        "放款后短期内过户、异地上牌或首期后即断供，是骗贷套现的结果。"),
    cue(CrossCheck, 0.5, To(&[PDB]), 0,
        "(?:购入|买入|取得|持有)(?:仅|才|不到)[\\d一二两三四五六七八九十]+个?(?:月|天)",
        "抵押物取得时间很短",
        "抵押物刚购入不久就用于申请大额贷款，价值难以核实，可能是倒手抬价。"),
    cue(CrossCheck, 0.6, To(&[PDB]), 0,
        "(?:缴存|缴费)基数仅|个税~{0,12}仅|综合所得仅|流水月均仅|(?:收入|月薪|工资)~{0,16}(?:流水|个税|纳税)~{0,8}(?:只有|仅有|仅|才|不到)",
        "收入与流水、个税或缴费基数不符",
        "自报收入远高于流水、个税或公积金缴存基数，收入材料可能经过包装。"),
    cue(CrossCheck, 0.65, To(&[PDB]), 0,
        "首付款?~{0,6}(?:由|来自|来源为)~{0,12}(?:第三方|他人|卖方|中介|个人账户)|实际零首付",
        "首付非本人出资",
        "首付由第三方或卖方关联账户支付，说明交易并非申请人真实出资。"),
    // ---- templates ----
    cue(Template, 0.45, Ctx, 0, "(?:回答|答|说)不(?:上来|出|清)|一问三不知|记不清",
        "说不清自身诉求的具体情节",
        "诉求说得很满却讲不出具体情节，常是照搬他人提供的模板。"),
    cue(Template, 0.45, Ctx, DAMP, "郑重声明|特此声明",
        "模板化声明用语",
        "“郑重声明”等公文腔是代理维权投诉模板的常见开头。"),
    cue(Template, 0.6, Ctx, DAMP,
        "(?:一切|所有)(?:后果|责任)~{0,4}由(?:贵|你)(?:行|司|们|公司|方)~{0,2}承担|后果自负",
        "模板化后果声明",
        "“由此产生的一切后果由贵行承担”是批量投诉模板的固定句式。"),
    cue(Template, 0.35, Ctx, DAMP,
        "(?:\\d+|[一二两三四五六七八九十]+)个?(?:工作日|日|天)(?:内|之内)",
        "设定答复期限",
        "限定机构在几日内答复是模板化投诉的常见要素，单独出现意义有限。"),
    cue(Template, 0.45, Ctx, DAMP,
        "法定权利|(?:银行|你们|贵行)(?:必须|应当|一定要)~{0,8}(?:删|同意|办理|减免|给)|不然就是违法|即属违规|就是违法|程序明显违法|不同意即属",
        "宣称机构必须同意",
        "把协商事项说成机构必须同意的法定义务，是中介灌输的错误说法。"),
    cue(Template, 0.2, Ctx, DAMP, "(?:因|受)?疫情(?:原因|影响|导致)",
        "以疫情为理由",
        "“因疫情影响”是批量减免和异议模板中最常见的统一理由，但真实客户也会这样说。"),
    cue(Template, 0.8, Ctx, 0,
        "同一(?:家|个|名|张|套|批)?~{0,3}(?:手机号|号码|电话|地址|ip|邮箱|中介|代理人|设备|评估公司|模板|格式|文本|账号|公司|人脸|房产|声纹|人)|(?:格式|措辞|内容|语句|文本|正文|字体|行距)~{0,6}(?:一致|相同|雷同|相近)|雷同|批量|同格式|(?:另外|其他|另)~{0,3}\\d+(?:件|份|张|笔|个)|共用|连标点都相同",
        "多件雷同或共用联系方式",
        "多件投诉或申请文本雷同、共用电话地址或由同一人经手，是团伙批量操作的特征。"),
    // ---- credit repair ----
    cue(CreditRepairPromise, 0.6, To(&[CRS]), DAMP,
        "(?:可以|能|保证|包|帮你?|负责|专业)~{0,3}(?:删除|删掉|删|消除|清除|洗白|修复|处理)~{0,6}(?:逾期|不良|记录|征信|呆账|查询)|(?:能|可以|保证|包)把~{0,10}(?:逾期|不良|记录|征信|呆账|查询)~{0,6}(?:删|消|清|洗白|修复)|(?:肯定|保证|一定)能删|包删",
        "承诺删除或修复征信记录",
        "真实的逾期记录任何人都无权付费删除，承诺能删是征信修复骗局的核心卖点。"),
    cue(CreditRepairPromise, 0.55, To(&[CRS]), DAMP,
        "(?:逾期|不良|记录|查询次数|zx|征信)~{0,6}(?:能|可以|就能|肯定能)(?:删|消|洗白|清|修)",
        "声称记录可以删除",
        "转述“记录能删”的说法，说明接触过征信修复中介的宣传。"),
    cue(CreditRepairPromise, 0.7, To(&[CRS, PDB]), DAMP,
        "内部(?:渠道|通道|关系|操作|人员)|内部可以操作|有内部人|银行有人|与征信中心有合作|(?:\\d+|[一二三四五六七八九十]+)(?:至|到|-)?(?:\\d+|[一二三四五六七八九十]+)?个?(?:工作日|天)~{0,12}(?:删|消除|修复|洗白)",
        "宣称内部渠道或限期删除",
        "宣称有内部渠道、与征信中心合作、几个工作日删除，是征信修复诈骗的典型话术。"),
    cue(CreditRepairPromise, 0.7, To(&[CRS]), 0,
        "修复(?:完成|报告|证书|确认书|成功)|合法清除",
        "出示征信修复报告或确认书",
        "所谓修复完成报告、确认书不是任何官方文书，出示它说明申请人被中介误导或企图误导审批。"),
    cue(CreditRepairPromise, 0.45, To(&[CRS]), DAMP,
        "要求~{0,8}(?:删除|删掉|消除|清除)~{0,12}(?:逾期|不良|记录|呆账)|(?:删除|消除|清除)~{0,4}(?:不良|逾期)(?:记录|信息)|查询(?:次数|记录)?~{0,4}清",
        "要求删除真实不良记录",
        "要求删除本人承认的逾期记录而不是指出具体错误，常是受修复中介指使。"),
    // ---- insurance surrender ----
    cue(SurrenderCoaching, 0.45, To(&[PIS]), DAMP,
        "(?:要求|申请|想|要)~{0,6}(?:全额退保|全额退还~{0,6}保费|全额退|全退|退全款|保费全退)",
        "要求全额退保",
        "过了犹豫期一般只能退现金价值，“全额退保”是代理退保的核心诉求，但客户自己抱怨时只是弱信号。"),
    cue(SurrenderCoaching, 0.7, To(&[PIS]), DAMP,
        "(?:他们|他|她|有人|人|中介|中心|公司|机构|维权群|群里|老师|对方|朋友)~{0,8}(?:能|可以|可|帮我?)~{0,4}(?:全退|全额退|多退|退全款|全额退保)|(?:可|能)全额退保",
        "第三方承诺能全额退保",
        "有人承诺能全退或多退，是代理退保中介招揽客户的话术。"),
    cue(SurrenderCoaching, 0.75, To(&[PIS]), 0,
        "退保款~{0,12}(?:转入|汇入|打入|打到|转到)~{0,12}(?:个人账户|账户)|代为领取退保款",
        "退保款指定转入他人账户",
        "要求把退保款打入非投保人本人的账户，是中介控制资金以便抽成的做法。"),
    cue(SurrenderCoaching, 0.35, To(&[PIS]), 0,
        "(?:联系地址|联系电话|联系方式|保单地址|通讯地址)~{0,12}(?:变更|改为|改成)",
        "保单联系方式被变更",
        "投诉前后变更保单联系方式需要留意，但客户搬家换号也会变更，需看改成了谁的。"),
    cue(SurrenderCoaching, 0.7, To(&[PIS]), 0,
        "(?:变更|改)(?:为|成)~{0,10}(?:写字楼|大厦|该中心|中心座机|陌生|他人|第三方|中介|他们|对方)",
        "保单联系方式被改成第三方",
        "把保单联系方式改成写字楼、中介座机等第三方地址号码，是中介截断保险公司与客户联系的做法。"),
    cue(SurrenderCoaching, 0.65, To(&[PIS]), 0,
        "(?:退出来|退保后)~{0,8}(?:转投|投向|买)|转投更划算|投向~{0,10}理财",
        "诱导退保后转投",
        "退保后被引导把钱投向中介推荐的产品，是代理退保的二次收割。"),
    cue(SurrenderCoaching, 0.5, To(&[PIS]), 0,
        "(?:领取过|领过)~{0,6}(?:生存金|分红|年金)",
        "已领取保单利益仍主张不知情",
        "保单生效多年、期间领取过生存金或分红，却称不知道是保险，诉求与事实矛盾。"),
    cue(SurrenderCoaching, 0.7, To(&[PIS]), 0,
        "停缴保费|停交保费|不要交保费|不参加回访|不接保险公司电话",
        "被要求停缴保费或拒接回访",
        "中介让投保人停缴保费、不接保险公司电话，以便操控退保过程。"),
    // ---- synthetic media and impersonation ----
    cue(SyntheticMedia, 0.75, To(&[DFI]), 0,
        "tts|合成(?:语音|音频|特征|痕迹|图像|的)|语音合成|(?:口型|嘴型)~{0,8}(?:不同步|对不上|不一致)|声纹~{0,12}(?:不一致|不匹配|不符|低于|临界|未通过)|活体检测~{0,12}(?:失败|未通过|多次)|(?:边缘|轮廓)~{0,8}(?:融合|模糊|锯齿|痕迹)|画面~{0,8}(?:闪烁|扭曲|冻结)|不眨眼|眨眼~{0,4}(?:异常|频率)|虚拟背景|循环播放|生成图像|比对~{0,8}(?:偏低|不一致|不匹配)",
        "音视频有合成特征",
        "声纹不符、口型不同步、边缘融合或活体检测异常，是换脸或拟声合成的技术痕迹。"),
    cue(SyntheticMedia, 0.7, To(&[DFI, IPD]), 0,
        "(?:录音|音频|视频)~{0,20}(?:剪辑|合成|不符|不匹配|无对应|无法提供原始)|(?:声音|声纹)~{0,10}(?:不符|不匹配|不是本人)|无外呼记录|无任何外呼",
        "证据录音或视频与记录不符",
        "投诉附带的录音、视频与系统记录对不上或疑似合成，可能是伪造的媒体证据。"),
    cue(SyntheticMedia, 0.4, To(&[DFI]), DAMP,
        "(?:视频|语音|电话|视频通话|视频会议)~{0,24}(?:要求|让|叫|说)~{0,12}(?:转账|汇款|打钱|转钱|借钱|用钱|保证金|安全账户|提额|提高~{0,4}限额|更换~{0,6}手机号|修改预留手机号)",
        "音视频中的人要求转账或改信息",
        "凭视频或语音里的“熟人”指令转账、改手机号，是AI换脸拟声冒充的典型情形；受害人事后求助则属正常诉求。"),
    cue(SyntheticMedia, 0.6, To(&[DFI]), DAMP,
        "不要告诉|别告诉|要求保密|不要回拨|别回拨|先放行|后补手续|加急(?:汇款|转账)|(?:网络|信号)不好~{0,6}(?:挂断|改用)|以~{0,4}信号不好为由|必须转出",
        "要求保密、绕过流程或制造紧迫",
        "要求保密、不要回拨、先转账后补手续，是冒充者回避核实的做法。"),
    cue(SyntheticMedia, 0.65, To(&[DFI]), DAMP,
        "安全账户|资金核查|配合~{0,4}(?:调查|核查)|监管~{0,2}账户|冒充~{0,6}(?:行长|领导|老板|公检法|警察|监管)",
        "冒充权威要求转入安全账户",
        "任何机构都不会要求把钱转入“安全账户”，这是冒充执法或监管人员诈骗的标志。"),
    cue(SyntheticMedia, 0.45, To(&[DFI, IPD]), 0,
        "来电人?自称是?(?:客户)?本人|自称是?客户本人",
        "来电自称客户本人",
        "来电人只凭自称是本人办理业务，需要回拨留存号码核实，冒名者可能是中介或合成声音。"),
    cue(SyntheticMedia, 0.3, To(&[DFI]), DAMP,
        "换绑手机|更换~{0,6}(?:手机|号码)|修改预留手机号|重置密码|提升限额|提高~{0,4}限额|限额提高",
        "要求换绑手机或提升限额",
        "换绑手机、重置密码、提额是账户接管的常见步骤，正常客户也会办理，需结合身份核验结果。"),
    cue(SyntheticMedia, 0.55, To(&[DFI]), 0,
        "画面~{0,6}(?:很暗|偏暗|昏暗)|不开灯|拒绝~{0,6}(?:线下|网点|回拨|见面)|(?:视频|通话|语音)~{0,6}只有(?:十几|几|\\d+)秒|只说了几句话|不到\\d+秒|通话时间极短",
        "音视频极短或回避核验",
        "视频或语音极短、画面昏暗、拒绝线下或回拨核实，是在回避能暴露合成痕迹的交互。"),
    cue(SyntheticMedia, 0.6, To(&[DFI]), 0,
        "语调平直|没有换气|回答~{0,6}延迟|机械音|电子音",
        "声音不自然",
        "语调平直、没有换气停顿、应答延迟，是合成语音的常见特征。"),
    cue(SyntheticMedia, 0.6, To(&[DFI]), 0,
        "本人~{0,8}(?:否认|称从未)|从未(?:来电|做过~{0,4}认证|召开)|否认(?:召开|来电|办理|授权)",
        "客户本人否认发起该操作",
        "回拨后客户本人否认来电或操作，说明此前的请求出自冒充者。"),
    cue(SyntheticMedia, 0.35, To(&[DFI]), DAMP, "声音~{0,4}(?:很像|太像|一模一样|完全一样|没(?:有)?区别)|不在身边|手机一直在身边",
        "声音相似或本人不在场",
        "“声音很像”“本人不在身边”是拟声冒充得手的常见情节。"),
    // ---- a genuine customer ----
    cue(Legitimate, 0.6, Legit, 0,
        "(?:想|希望|能不能|可不可以|能否|请求|申请|想要|商量|协商)~{0,12}(?:分期|延期|延长~{0,4}期限|降低月供|还款方案|个性化分期|少收|慢慢还|期数长)",
        "本人请求分期或延期",
        "本人直接向机构请求分期、延期或还款方案，适用正常协商机制。"),
    cue(Legitimate, 0.6, Legit, 0,
        "真心想还|想还|愿意还|会还|不想逾期|欠钱要还|欠款要还|正在筹钱|自己会处理|承认逾期",
        "明确表示还款意愿",
        "客户明确表示愿意还款，是真实困难诉求而非逃废债的标志。"),
    cue(Legitimate, 0.6, Legit, NEG,
        "直接(?:跟|和|找|联系)(?:你们|贵行|银行)|(?:跟|和)你们银行直接|自己直接找你们|联系我本人|本人电话~{0,4}随时|电话一直开着|(?:去|到)网点~{0,4}(?:当面|面谈|签字|办理)|当面签字|官方客服",
        "本人直接与机构沟通",
        "客户本人出面、愿意接电话或到网点面谈，没有第三方介入。"),
    cue(Legitimate, 0.7, Legit, 0,
        "犹豫期(?:内|之内|还没过|没过)~{0,10}退|在犹豫期|现金价值",
        "犹豫期内退保或按现金价值退保",
        "犹豫期内退保或按现金价值退保是投保人的法定权利。"),
    cue(Legitimate, 0.65, Legit, 0,
        "(?:在|向)征信中心~{0,10}(?:提交|提出|申请)?~{0,4}异议|已~{0,6}提交~{0,4}异议|受理编号|提异议的渠道|正规~{0,6}渠道|官方规定|已经?~{0,12}(?:还清|结清)|还清销户|从(?:没|未)(?:办过|借过|申请过)|从来没有~{0,10}(?:担保|办过|借过)|不是我本?人?办的|非本人(?:办理|申请)|身份证~{0,8}(?:丢|挂失)|盗刷",
        "通过法定渠道纠正具体错误",
        "针对具体错误条目（已结清仍显示逾期、非本人业务）或经征信中心提出异议，是正当的纠错诉求。"),
    cue(Legitimate, 0.4, Legit, 0,
        "催收~{0,20}(?:给我|打给|打到|打我|骂|威胁|冒充|坐牢|上门|家人|父母|爸妈|同事|单位)|爆通讯录",
        "本人投诉催收行为",
        "客户本人陈述催收骚扰家人同事、辱骂威胁等具体情节，多是真实的违规催收投诉。"),
    cue(Legitimate, 0.5, Legit, 0,
        "我有~{0,4}录音|(?:录音|通话记录)~{0,4}截图|可以提供~{0,10}(?:录音|截图|证明|记录|诊断|病历)|附上~{0,8}(?:证明|病历)|报警回执|(?:愿意|可以)提供",
        "本人可提供可核实证据",
        "客户主动提供录音、截图、证明等可核实材料，说明事实具体。"),
    cue(Legitimate, 0.5, Legit, 0,
        "被盗刷|盗刷了?我的?",
        "银行卡被盗刷",
        "客户报告银行卡被盗刷：普通的盗刷纠纷，按盗刷流程核实处理。"),
    Cue {
        not_after: "说",
        ..cue(Legitimate, 0.6, Legit, DAMPER,
            "(?:不想|不会|不愿|没有|没|不)找(?:中介|代理|那些人|他们)|不信这些|怕被骗|是不是骗|觉得不对|不对劲|就挂了|所谓",
            "本人警惕中介",
            "客户表示不信任收费中介，是在自己求助而不是在执行套路。受骗后求助的是受害人，不在此列：案件涉及的套路照常判断（设计 §2）。")
    },
    cue(Legitimate, 0.6, Legit, DAMPER,
        "我?(?:当场|直接|马上|已经?)?拒绝了|(?:没|没有|不)(?:再)?理(?:会)?(?:他们|他|她|对方|这些)|没(?:有)?(?:答应|上当|上他们的当)|(?:我|本人)(?:并)?没(?:有)?(?:签|给)(?:过|任何)?~{0,4}(?:协议|合同|资料|钱|验证码)|(?:不需要|不用了)~{0,4}(?:我自己|谢谢)|别再(?:联系|打给?|骚扰)我|我?(?:就|直接)?把(?:他|他们|对方)(?:的)?(?:电话|微信|号码)?拉黑了?|直接挂了?(?:电话)?",
        "本人拒绝了中介",
        "客户拒绝、不理会或拉黑了找上门的中介，自己来找机构：是正常客户，不是套路的参与者（设计 §2）。"),
    cue(Legitimate, 0.55, Legit, 0,
        "扣款失败|系统(?:故障|原因|问题|繁忙)|明明(?:有钱|还了|按时)|按时还(?:了|的)",
        "指出机构或系统原因的具体错误",
        "客户指出扣款失败、系统故障等机构一方的具体问题，可以直接核实。"),
    cue(Legitimate, 0.45, Legit, 0,
        "(?:一直|迟迟|始终)(?:没|没有|不|未)(?:人)?(?:给)?(?:回复|答复|回电|处理|联系)|没人(?:回复|联系|回电|处理)|会按规定",
        "因处理拖延表达不满",
        "客户因机构迟迟不答复而提到投诉渠道，是对处理拖延的正常表达。"),
    cue(Legitimate, 0.45, Legit, 0,
        "核查销售过程?|调取~{0,6}(?:合同|录音|双录|记录)",
        "请求核查具体销售或业务过程",
        "请求机构调取记录核查具体情节，是可核实的真实纠纷。"),
    cue(Legitimate, 0.55, Legit, 0,
        "\\d+(?:\\.\\d+)?元的?(?:年费|手续费|违约金|利息|服务费|管理费)|(?:年费|手续费|违约金|管理费)~{0,12}\\d+(?:\\.\\d+)?元|多扣|扣了我?\\d+|扣了两次|请(?:核实并)?退(?:回|还)|搭售",
        "具体的费用争议",
        "指向具体金额和账单条目的费用争议，可以直接核实。"),
    cue(Legitimate, 0.5, Legit, 0,
        "签字按手印的委托书|亲笔签名的委托书|有~{0,6}签(?:字|名)~{0,6}委托书|我是替我",
        "家属持本人委托书代办",
        "家属持有本人亲笔签字的委托书代为协商，属于合规的代理。"),
    cue(Legitimate, 0.45, Legit, 0,
        "(?:流水|收入)~{0,6}(?:一致|相符|稳定)|社保公积金(?:正常|连续)缴|有纳税记录|无逾期|工作\\d+年|工龄\\d+年|缴存\\d+年",
        "申请材料相互印证",
        "收入、流水、社保公积金、纳税或工龄相互印证，是真实还款能力的体现。"),
];

/// What the text is about: decides where context-dependent cues point.
struct Context {
    schemes: Vec<&'static str>,
}

/// Subject words → the agency schemes they make context cues point to.
const SUBJECTS: &[(&str, &str)] = &[
    (
        IPD,
        "停息|挂账|挂帐|减免|催收|分期|息费|欠款|本金|罚息|违约金|还款|网贷|债务|协商|tx|gz|fc|反催|上岸",
    ),
    (
        PIS,
        "保单|退保|保费|投保|保险|业务员|犹豫期|寿险|分红险|重疾险|年金险|理赔|免责条款|销售误导",
    ),
    (
        CRS,
        "征信|修复|洗白|不良记录|逾期记录|异议|呆账|查询次数|查询记录|zx",
    ),
    (
        PDB,
        "背债|车贷|按揭|首付|面签|进件|放款|骗贷|白户|房贷|经营贷|消费贷|评估价|流水",
    ),
    (
        DFI,
        "人脸|声纹|换脸|拟声|视频认证|活体|合成|视频通话|视频会议|视频电话",
    ),
];

struct CompiledCue {
    cue: &'static Cue,
    re: Regex,
    reject: Option<Regex>,
    reject_before: Option<Regex>,
}

/// One lexicon spelling, normalised the same way as the text.
struct Spelling {
    chars: Vec<char>,
    term: usize,
    /// All ASCII letters/digits: matched only as a whole Latin word.
    latin: bool,
}

/// Compiled cues and lexicon; build once, share across requests.
pub struct Detector {
    lexicon: Lexicon,
    /// The lexicon's words, also recognised by their sound.
    soundalike: SoundAlike,
    /// Longest first.
    spellings: Vec<Spelling>,
    /// Per term: weight and explanation.
    term_info: Vec<(f32, String)>,
    cues: Vec<CompiledCue>,
    subjects: Vec<(&'static str, Regex)>,
    // combinations
    stop_interest: Regex,
    total_waiver: Regex,
    threat: Regex,
    list_marker: Regex,
    citation_plain: Regex,
    article: Regex,
    book_title: Regex,
    stock_phrases: Vec<Regex>,
    batch_note: Regex,
    new_company: Regex,
}

fn expand(pattern: &str) -> String {
    pattern
        .replace("{REG}", REG)
        .replace("{MEDIA}", MEDIA)
        .replace("{COND}", COND)
        .replace('~', "[^。!?;]")
}

fn re(pattern: &str) -> Regex {
    Regex::new(&expand(pattern)).unwrap_or_else(|e| panic!("bad cue pattern {pattern}: {e}"))
}

/// Weight of a lexicon term: neutral vocabulary, a term its curator notes
/// as weak on its own, or a scheme term.
fn term_weight(schemes: &[String], note: &str) -> f32 {
    if schemes.is_empty() {
        NEUTRAL_SLANG_WEIGHT
    } else if ["弱信号", "单独出现", "不单独", "结合上下文"]
        .iter()
        .any(|w| note.contains(w))
    {
        WEAK_SLANG_WEIGHT
    } else {
        SLANG_WEIGHT
    }
}

/// First sentence of a curator note, or a generic line.
fn term_explanation(canonical: &str, note: &str) -> String {
    let first = note.split('。').next().unwrap_or("").trim();
    if first.is_empty() {
        format!("“{canonical}”是词表收录的黑话或金融术语。")
    } else {
        format!("{first}。")
    }
}

/// A number for an explanation: integers without decimals.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.2}")
    }
}

impl Detector {
    pub fn new(lexicon: &Lexicon) -> Self {
        let mut spellings = Vec::new();
        let mut term_info = Vec::new();
        for (i, t) in lexicon.terms.iter().enumerate() {
            term_info.push((
                term_weight(&t.schemes, &t.note),
                term_explanation(&t.canonical, &t.note),
            ));
            let mut seen: Vec<Vec<char>> = Vec::new();
            for s in std::iter::once(&t.canonical).chain(&t.variants) {
                let chars: Vec<char> = normalize(s).text.chars().collect();
                if chars.is_empty() || seen.contains(&chars) {
                    continue;
                }
                seen.push(chars.clone());
                let latin = chars.iter().all(|c| c.is_ascii_alphanumeric());
                spellings.push(Spelling {
                    chars,
                    term: i,
                    latin,
                });
            }
        }
        // Longest first; ties by term order, so matching is deterministic.
        spellings.sort_by(|a, b| b.chars.len().cmp(&a.chars.len()).then(a.term.cmp(&b.term)));

        let cues = CUES
            .iter()
            .map(|c| CompiledCue {
                cue: c,
                re: re(c.pattern),
                reject: (!c.reject.is_empty()).then(|| re(c.reject)),
                reject_before: (!c.reject_before.is_empty()).then(|| re(c.reject_before)),
            })
            .collect();
        let subjects = SUBJECTS.iter().map(|(s, p)| (*s, re(p))).collect();

        Self {
            lexicon: lexicon.clone(),
            soundalike: SoundAlike::new(lexicon.sound_words()),
            spellings,
            term_info,
            cues,
            subjects,
            stop_interest: re(
                "停息|挂账|挂帐|tx ?gz|只还本金|本金分|停止(?:一切|所有)~{0,4}催收|(?:暂停|停止)上报征信",
            ),
            total_waiver: re(
                "(?:减免|免除|免)(?:全部|所有|一切)|(?:全部|所有|一切)的?(?:利息|息费|罚息|违约金)|全免|全额减免",
            ),
            threat: re(
                "{COND}~{0,24}(?:投诉|曝光|起诉|诉讼|举报|反映|{REG}|{MEDIA})|(?:集中|集体|联合|群体)~{0,16}(?:投诉|举报|反映|曝光)|(?:天天|一直|反复|坚持)~{0,4}(?:投诉|投|打12378)",
            ),
            list_marker: re("(?:^|[,。:;!?])(?:\\d{1,2}[.、]|[一二三四五六七八九十]、)"),
            citation_plain: re("(?:根据|依据|按照|依照|违反)~{0,24}?(?:办法|条例|法典|规定)"),
            article: re("第[一二三四五六七八九十百零\\d]+条"),
            book_title: Regex::new("《[^》]{1,40}》").expect("static regex"),
            stock_phrases: [
                "误导",
                "夸大",
                "未告知",
                "代签|非投保人本人所签|非本人所签",
                "隐瞒",
                "保本",
                "存款",
            ]
            .iter()
            .map(|p| re(p))
            .collect(),
            batch_note: re("相同|同批|共用|同一"),
            new_company: re("成立|新设|刚注册"),
        }
    }

    /// The matching form of a text: normalised, with sound-alike spellings
    /// of the lexicon's words repaired (every cue reads this form).
    pub fn normalize(&self, text: &str) -> Normalized {
        self.soundalike.repair(normalize(text))
    }

    /// The slang lexicon the detector was built from.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Signals for one complaint or application, sorted by span start,
    /// cross-checks without a span last. Deterministic.
    pub fn detect(
        &self,
        channel: Channel,
        original: &str,
        applicant: Option<&Applicant>,
    ) -> Vec<Signal> {
        let n = self.normalize(original);
        let ctx = self.context(channel, &n.text);
        let mut found: Vec<(Signal, u8)> = Vec::new();
        self.slang(&n, original, &mut found);
        self.text_cues(&n, original, &ctx, &mut found);
        self.combinations(&n, original, &ctx, &mut found);
        if let Some(a) = applicant {
            for s in cross_checks(channel, a, &self.batch_note, &self.new_company) {
                found.push((s, 0));
            }
        }
        if found.iter().any(|(_, flags)| flags & DAMPER != 0) {
            for (s, flags) in &mut found {
                if *flags & DAMP != 0 && s.is_fraud_cue() {
                    s.weight *= DAMPING;
                    s.explanation
                        .push_str("（本文作者对中介表示警惕或自述受害，此信号权重减半。）");
                }
            }
        }
        finish(found.into_iter().map(|(s, _)| s).collect())
    }

    fn context(&self, channel: Channel, text: &str) -> Context {
        let mut schemes: Vec<&'static str> = self
            .subjects
            .iter()
            .filter(|(s, re)| {
                (channel == Channel::Complaint || !matches!(*s, IPD | PIS)) && re.is_match(text)
            })
            .map(|(s, _)| *s)
            .collect();
        if channel == Channel::Application && !schemes.contains(&PDB) {
            schemes.insert(0, PDB);
        }
        if schemes.is_empty() {
            schemes = vec![IPD, PIS, CRS];
        }
        Context { schemes }
    }

    fn slang(&self, n: &Normalized, original: &str, out: &mut Vec<(Signal, u8)>) {
        let hay: Vec<char> = n.text.chars().collect();
        let mut i = 0;
        while i < hay.len() {
            let hit = self.spellings.iter().find(|sp| {
                let len = sp.chars.len();
                i + len <= hay.len()
                    && hay[i..i + len] == sp.chars[..]
                    && (!sp.latin || latin_boundary(&hay, i, i + len))
            });
            let Some(sp) = hit else {
                i += 1;
                continue;
            };
            let end = i + sp.chars.len();
            let term = &self.lexicon.terms[sp.term];
            let (weight, why) = &self.term_info[sp.term];
            let span = span(original, n.original_span(i, end));
            let explanation = if normalize(&span.text).text == normalize(&term.canonical).text {
                why.clone()
            } else {
                format!("“{}”即“{}”：{}", span.text, term.canonical, why)
            };
            let label = if term.schemes.is_empty() {
                format!("术语“{}”", term.canonical)
            } else {
                format!("暗语“{}”", term.canonical)
            };
            out.push((
                Signal {
                    kind: SignalKind::Slang,
                    label,
                    explanation,
                    span: Some(span),
                    field: None,
                    weight: *weight,
                    schemes: term.schemes.clone(),
                },
                DAMP,
            ));
            i = end;
        }
    }

    fn text_cues(
        &self,
        n: &Normalized,
        original: &str,
        ctx: &Context,
        out: &mut Vec<(Signal, u8)>,
    ) {
        for c in &self.cues {
            for m in c.re.find_iter(&n.text) {
                if c.cue.flags & NEG != 0 && negated(&n.text[..m.start()]) {
                    continue;
                }
                if let Some(prev) = n.text[..m.start()].chars().next_back()
                    && c.cue.not_after.contains(prev)
                {
                    continue;
                }
                if let Some(reject) = &c.reject_before {
                    let before: String = {
                        let mut v: Vec<char> = n.text[..m.start()].chars().rev().take(6).collect();
                        v.reverse();
                        v.into_iter().collect()
                    };
                    if reject.is_match(&before) {
                        continue;
                    }
                }
                if let Some(reject) = &c.reject {
                    let tail: String = n.text[m.end()..].chars().take(6).collect();
                    if reject.is_match(&format!("{}{tail}", m.as_str())) {
                        continue;
                    }
                }
                let schemes = match c.cue.points {
                    Points::To(s) => s.iter().map(|s| s.to_string()).collect(),
                    Points::Context => ctx.schemes.iter().map(|s| s.to_string()).collect(),
                    Points::Legit => vec![NONE.to_string()],
                };
                out.push((
                    Signal {
                        kind: c.cue.kind,
                        label: c.cue.label.to_string(),
                        explanation: c.cue.explanation.to_string(),
                        span: Some(span(original, n.original_span_of_bytes(m.start(), m.end()))),
                        field: None,
                        weight: c.cue.weight,
                        schemes,
                    },
                    c.cue.flags,
                ));
            }
        }
    }

    /// Cues that only mean something together.
    fn combinations(
        &self,
        n: &Normalized,
        original: &str,
        ctx: &Context,
        out: &mut Vec<(Signal, u8)>,
    ) {
        let text = &n.text;
        let ctx_schemes: Vec<String> = ctx.schemes.iter().map(|s| s.to_string()).collect();
        let at =
            |m: regex::Match| Some(span(original, n.original_span_of_bytes(m.start(), m.end())));
        // Stop-interest demand, total waiver, threat.
        let a = self.stop_interest.find(text);
        let b = self.total_waiver.find(text);
        let c = self.threat.find(text);
        let first = [a, b, c].into_iter().flatten().min_by_key(|m| m.start());
        let parts = [a.is_some(), b.is_some(), c.is_some()];
        let (weight, label, why) = match parts {
            [true, true, true] => (
                0.7,
                "停息挂账+全免息费+投诉要挟",
                "停息挂账、免除全部息费与投诉要挟同时出现，是非法代理维权投诉模板的完整结构。",
            ),
            [true, false, true] | [false, true, true] => (
                0.5,
                "减免诉求与投诉要挟并提",
                "把停息或全免诉求与投诉要挟绑在一起，是代理维权话术的典型组合。",
            ),
            [true, true, false] => (
                0.3,
                "停息挂账与全免息费并提",
                "同时要求停息挂账和免除全部息费，接近中介的标准诉求，但真实困难客户也可能这样请求。",
            ),
            _ => (0.0, "", ""),
        };
        if let Some(m) = first
            && weight > 0.0
        {
            let schemes = if ctx.schemes.contains(&IPD) {
                vec![IPD.to_string()]
            } else {
                ctx_schemes.clone()
            };
            out.push((combo(Template, label, why, at(m), weight, &schemes), DAMP));
        }

        // Numbered demand list.
        let markers: Vec<regex::Match> = self.list_marker.find_iter(text).collect();
        if markers.len() >= 3
            && ["要求", "申请", "诉求", "如下"]
                .iter()
                .any(|w| text.contains(w))
        {
            let (weight, label, why) = if b.is_some() || a.is_some() {
                (
                    0.55,
                    "编号诉求清单含停息或全免",
                    "以编号清单逐条列出停催、全免息费、停报征信等诉求，是代理维权函件的固定格式。",
                )
            } else {
                (
                    0.3,
                    "编号式诉求清单",
                    "逐条编号列出诉求常见于模板函件，但条理清楚的真实客户也会这样写。",
                )
            };
            out.push((
                combo(Template, label, why, at(markers[0]), weight, &ctx_schemes),
                DAMP,
            ));
        }

        // Legal citations: distinct 《titles》 in the original, else plain "根据…办法".
        let mut titles: Vec<(usize, usize, &str)> = Vec::new();
        for m in self.book_title.find_iter(original) {
            if !titles.iter().any(|t| t.2 == m.as_str()) {
                titles.push((m.start(), m.end(), m.as_str()));
            }
        }
        let plain: Vec<regex::Match> = self.citation_plain.find_iter(text).collect();
        let count = if titles.is_empty() {
            plain.len()
        } else {
            titles.len()
        };
        let first_span = titles
            .first()
            .map(|t| span(original, (t.0, t.1)))
            .or_else(|| plain.first().and_then(|m| at(*m)));
        let with_article = self.article.is_match(text);
        let cited = if count >= 2 {
            Some((
                0.55,
                "多处引用法规条文",
                "消费者投诉中密集引用多部法规条文，常出自代理维权模板。",
            ))
        } else if count == 1 && with_article {
            Some((
                0.3,
                "引用具体法规条款",
                "引用法规具体条款在模板投诉中常见，但了解规定的真实客户也会引用。",
            ))
        } else {
            None
        };
        if let (Some((weight, label, why)), Some(sp)) = (cited, first_span) {
            out.push((
                combo(Template, label, why, Some(sp), weight, &ctx_schemes),
                DAMP,
            ));
        }

        // Insurance-complaint stock phrases.
        if ctx.schemes.contains(&PIS) {
            let hits: Vec<regex::Match> = self
                .stock_phrases
                .iter()
                .filter_map(|r| r.find(text))
                .collect();
            let (weight, label, why) = match hits.len() {
                0 | 1 => (0.0, "", ""),
                2 => (
                    0.3,
                    "使用退保投诉套话",
                    "“销售误导”“夸大收益”等说法真实投诉也会用，关键看有没有具体情节。",
                ),
                _ => (
                    0.6,
                    "退保投诉套话堆砌",
                    "“销售误导、夸大收益、未告知犹豫期、代签名”等套话成串出现，是代理退保投诉模板的特征。",
                ),
            };
            if weight > 0.0 {
                let m = hits.iter().min_by_key(|m| m.start()).copied();
                out.push((
                    combo(
                        SurrenderCoaching,
                        label,
                        why,
                        m.and_then(at),
                        weight,
                        &[PIS.to_string()],
                    ),
                    DAMP,
                ));
            }
        }
    }
}

fn combo(
    kind: SignalKind,
    label: &str,
    explanation: &str,
    span: Option<Span>,
    weight: f32,
    schemes: &[String],
) -> Signal {
    Signal {
        kind,
        label: label.to_string(),
        explanation: explanation.to_string(),
        span,
        field: None,
        weight,
        schemes: schemes.to_vec(),
    }
}

/// Short Latin spellings ("zx", "tx") must be whole words: no ASCII letter
/// on either side, and no digit next to a digit edge ("714" inside a phone).
fn latin_boundary(hay: &[char], start: usize, end: usize) -> bool {
    let clash = |neighbour: Option<&char>, edge: char| {
        neighbour.is_some_and(|c| {
            c.is_ascii_alphabetic() || (edge.is_ascii_digit() && c.is_ascii_digit())
        })
    };
    let before = if start == 0 { None } else { hay.get(start - 1) };
    !clash(before, hay[start]) && !clash(hay.get(end), hay[end - 1])
}

/// A negation in the three chars before a match: "不想找中介", "没有委托".
fn negated(before: &str) -> bool {
    before
        .chars()
        .rev()
        .take(3)
        .any(|c| matches!(c, '不' | '没' | '别' | '未' | '勿' | '无' | '莫' | '拒'))
}

fn span(original: &str, (start, end): (usize, usize)) -> Span {
    Span {
        start,
        end,
        text: original[start..end].to_string(),
    }
}

fn overlaps(a: &Span, b: &Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// Deduplicate and sort: overlapping spans of one kind keep the strongest;
/// one signal per (kind, label), at its first place with its best weight.
fn finish(mut all: Vec<Signal>) -> Vec<Signal> {
    // Strongest first, then longer, then earlier, then label: a total order.
    all.sort_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| span_len(b).cmp(&span_len(a)))
            .then_with(|| span_start(a).cmp(&span_start(b)))
            .then_with(|| a.label.cmp(&b.label))
    });
    let mut kept: Vec<Signal> = Vec::new();
    for s in all {
        if let Some(sp) = &s.span
            && kept
                .iter()
                .any(|k| k.kind == s.kind && k.span.as_ref().is_some_and(|ks| overlaps(ks, sp)))
        {
            continue;
        }
        kept.push(s);
    }
    let mut by_label: HashMap<(SignalKind, String), Signal> = HashMap::new();
    let mut order: Vec<(SignalKind, String)> = Vec::new();
    for s in kept {
        let key = (s.kind, s.label.clone());
        match by_label.get_mut(&key) {
            Some(k) => {
                if span_start(&s) < span_start(k) {
                    k.span = s.span.clone();
                }
            }
            None => {
                order.push(key.clone());
                by_label.insert(key, s);
            }
        }
    }
    let mut out: Vec<Signal> = order
        .into_iter()
        .filter_map(|k| by_label.remove(&k))
        .collect();
    out.sort_by(|a, b| {
        a.span
            .is_none()
            .cmp(&b.span.is_none())
            .then_with(|| span_start(a).cmp(&span_start(b)))
            .then_with(|| span_len(a).cmp(&span_len(b)))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.field.cmp(&b.field))
            .then_with(|| a.label.cmp(&b.label))
    });
    out
}

fn span_start(s: &Signal) -> usize {
    s.span.as_ref().map_or(usize::MAX, |sp| sp.start)
}

fn span_len(s: &Signal) -> usize {
    s.span.as_ref().map_or(0, |sp| sp.end - sp.start)
}

fn cross(field: &str, label: &str, explanation: String, weight: f32, schemes: &[&str]) -> Signal {
    let kind = if schemes == [NONE] {
        SignalKind::Legitimate
    } else {
        SignalKind::CrossCheck
    };
    Signal {
        kind,
        label: label.to_string(),
        explanation,
        span: None,
        field: Some(field.to_string()),
        weight,
        schemes: schemes.iter().map(|s| s.to_string()).collect(),
    }
}

/// Cross-verification of an application's structured fields.
fn cross_checks(
    channel: Channel,
    a: &Applicant,
    batch_note: &Regex,
    new_company: &Regex,
) -> Vec<Signal> {
    let mut out = Vec::new();
    let hardship_scheme: &[&str] = if channel == Channel::Complaint {
        &[IPD]
    } else {
        &[PDB]
    };

    // Claims no job or no income while contributions are still being paid.
    let no_work = a
        .employment_status
        .as_deref()
        .is_some_and(|s| matches!(s.trim(), "unemployed" | "无业" | "失业"));
    let no_income = a.claimed_monthly_income == Some(0.0);
    let si = a.social_insurance_active == Some(true);
    let pf = a.provident_fund_active == Some(true);
    if (no_work || no_income) && (si || pf) {
        let claim = if no_work {
            "失业/无业"
        } else {
            "月收入为0"
        };
        let active: Vec<&str> = [(si, "社保"), (pf, "公积金")]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| n)
            .collect();
        let mut fields = vec![if no_work {
            "employment_status"
        } else {
            "claimed_monthly_income"
        }];
        if si {
            fields.push("social_insurance_active");
        }
        if pf {
            fields.push("provident_fund_active");
        }
        out.push(cross(
            &fields.join(","),
            "自称无业但社保公积金在缴",
            format!(
                "申请人自称{claim}，但{}仍在正常缴纳，陈述与客观数据矛盾。",
                active.join("、")
            ),
            0.75,
            hardship_scheme,
        ));
    }

    // Stated income vs bank flow.
    if let (Some(income), Some(flow)) = (a.claimed_monthly_income, a.bank_flow_monthly_avg)
        && income > 0.0
    {
        let field = "claimed_monthly_income,bank_flow_monthly_avg";
        if income > INCOME_OVER_FLOW * flow {
            let ratio = if flow > 0.0 {
                format!("是银行流水月均{}元的{:.1}倍", num(flow), income / flow)
            } else {
                "而银行流水月均为0".to_string()
            };
            out.push(cross(
                field,
                "自报收入远高于银行流水",
                format!(
                    "自报月收入{}元，{ratio}（阈值{}倍），收入材料可能经过包装。",
                    num(income),
                    num(INCOME_OVER_FLOW)
                ),
                0.7,
                &[PDB],
            ));
        } else if income <= INCOME_MATCHES_FLOW * flow && (si || pf) {
            out.push(cross(
                field,
                "收入与流水、社保公积金相互印证",
                format!(
                    "自报月收入{}元与银行流水月均{}元相符，且{}在缴，还款能力有客观印证。",
                    num(income),
                    num(flow),
                    if si && pf {
                        "社保、公积金"
                    } else if si {
                        "社保"
                    } else {
                        "公积金"
                    }
                ),
                0.5,
                &[NONE],
            ));
        }
    }

    // High income, no contributions at all, as an employee.
    if let Some(income) = a.claimed_monthly_income
        && income >= HIGH_INCOME_NO_INSURANCE
        && a.social_insurance_active == Some(false)
        && a.provident_fund_active == Some(false)
        && a.employment_status.as_deref() == Some("employed")
    {
        out.push(cross(
            "claimed_monthly_income,social_insurance_active,provident_fund_active",
            "高收入受雇者无社保公积金",
            format!(
                "自报受雇、月收入{}元（不低于{}元），却没有任何社保和公积金缴纳，与高薪职员身份不符。",
                num(income),
                num(HIGH_INCOME_NO_INSURANCE)
            ),
            0.45,
            &[PDB],
        ));
    }

    // Price vs appraisal.
    if let (Some(price), Some(appraisal)) = (a.property_price, a.property_appraisal)
        && appraisal > 0.0
    {
        let field = "property_price,property_appraisal";
        if price > PRICE_OVER_APPRAISAL * appraisal {
            out.push(cross(
                field,
                "成交价远高于评估价",
                format!(
                    "合同价{}元是评估价{}元的{:.2}倍（阈值{}倍），疑似做高房价骗取超额贷款。",
                    num(price),
                    num(appraisal),
                    price / appraisal,
                    num(PRICE_OVER_APPRAISAL)
                ),
                0.8,
                &[PDB],
            ));
        } else if price <= PRICE_MATCHES_APPRAISAL * appraisal {
            out.push(cross(
                field,
                "成交价与评估价相符",
                format!(
                    "合同价{}元与评估价{}元相符，交易价格真实。",
                    num(price),
                    num(appraisal)
                ),
                0.4,
                &[NONE],
            ));
        }
    }

    // Thin credit file asking for a large loan.
    let thin_months = a
        .credit_history_months
        .is_some_and(|m| m < THIN_FILE_MONTHS);
    let no_accounts = a.credit_accounts == Some(0);
    if let Some(amount) = a.loan_amount
        && (thin_months || no_accounts)
        && amount >= LARGE_LOAN
    {
        let mut fields = Vec::new();
        let mut facts = Vec::new();
        if let Some(m) = a.credit_history_months.filter(|_| thin_months) {
            fields.push("credit_history_months");
            facts.push(format!("信用历史{m}个月"));
        }
        if no_accounts {
            fields.push("credit_accounts");
            facts.push("无信贷账户".to_string());
        }
        fields.push("loan_amount");
        out.push(cross(
            &fields.join(","),
            "白户申请大额贷款",
            format!(
                "申请人{}（白户），却申请{}元贷款（不低于{}元）；白户本身不是风险，但与大额贷款同时出现需核实背景。",
                facts.join("、"),
                num(amount),
                num(LARGE_LOAN)
            ),
            0.45,
            &[PDB],
        ));
    }

    // Zero or near-zero down payment.
    if let Some(r) = a.down_payment_ratio
        && r <= NEAR_ZERO_DOWN
    {
        out.push(cross(
            "down_payment_ratio",
            "零首付或首付极低",
            format!(
                "首付比例{:.0}%（不高于{:.0}%），购房购车资金可能并非申请人出资。",
                r * 100.0,
                NEAR_ZERO_DOWN * 100.0
            ),
            0.65,
            &[PDB],
        ));
    }

    // Collateral flipped quickly.
    if let Some(m) = a.resale_within_months
        && m <= QUICK_RESALE_MONTHS
    {
        out.push(cross(
            "resale_within_months",
            "抵押物短期内转手",
            format!(
                "抵押物在{m}个月内转手（不超过{QUICK_RESALE_MONTHS}个月），可能是快速倒卖套现。"
            ),
            if m <= VERY_QUICK_RESALE_MONTHS {
                0.75
            } else {
                0.6
            },
            &[PDB],
        ));
    }

    // Remote collateral: weak alone (people do mortgage a family home elsewhere).
    if a.remote_collateral == Some(true) {
        out.push(cross(
            "remote_collateral",
            "抵押物在外地",
            "抵押物位于与申请人生活工作无关的外地，价值和状态较难核实；在外地工作者以老家房产抵押也很常见。"
                .to_string(),
            0.35,
            &[PDB],
        ));
    }

    // Contact details or employer shared with other applications.
    for (field, value) in [
        ("phone", &a.phone),
        ("address", &a.address),
        ("employer", &a.employer),
    ] {
        if let Some(v) = value
            && batch_note.is_match(v)
        {
            out.push(cross(
                field,
                "与其他申请共用信息",
                format!("{field}登记为“{v}”，与其他申请共用，是团伙批量进件的特征。"),
                0.7,
                &[PDB],
            ));
        }
    }
    if let Some(e) = &a.employer
        && new_company.is_match(e)
    {
        out.push(cross(
            "employer",
            "任职单位新设立",
            format!("任职单位登记为“{e}”，成立时间很短，可能是为申请人虚构身份的空壳公司。"),
            0.45,
            &[PDB],
        ));
    }
    out
}

#[cfg(test)]
mod tests;
