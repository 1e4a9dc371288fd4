//! Unit tests for `signals`: each cue on short realistic snippets, the
//! hard negatives that must stay clean, every application cross-check on
//! both sides of its threshold, and a sanity run over the labelled examples.

use super::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/lexicon.toml");
        Detector::new(&Lexicon::load(&path).unwrap())
    })
}

fn complaint(text: &str) -> Vec<Signal> {
    detector().detect(Channel::Complaint, text, None)
}

fn assert_spans_valid(original: &str, signals: &[Signal]) {
    for s in signals {
        if let Some(sp) = &s.span {
            assert!(sp.start < sp.end && sp.end <= original.len(), "{s:?}");
            assert_eq!(&original[sp.start..sp.end], sp.text, "{s:?}");
        }
        assert!((0.0..=1.0).contains(&s.weight), "{s:?}");
        assert!(!s.label.is_empty() && !s.explanation.is_empty(), "{s:?}");
    }
}

/// The strongest fraud cue of `kind`, if any.
fn strongest(signals: &[Signal], kind: SignalKind) -> Option<&Signal> {
    signals
        .iter()
        .filter(|s| s.kind == kind)
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
}

fn max_fraud(signals: &[Signal]) -> f32 {
    signals
        .iter()
        .filter(|s| s.is_fraud_cue())
        .map(|s| s.weight)
        .fold(0.0, f32::max)
}

fn fraud_sum(signals: &[Signal]) -> f32 {
    signals
        .iter()
        .filter(|s| s.is_fraud_cue())
        .map(|s| s.weight)
        .sum::<f32>()
        + 0.0
}

fn has(signals: &[Signal], kind: SignalKind, min_weight: f32, scheme: &str) -> bool {
    signals
        .iter()
        .any(|s| s.kind == kind && s.weight >= min_weight && s.schemes.iter().any(|x| x == scheme))
}

fn show(signals: &[Signal]) -> String {
    signals
        .iter()
        .map(|s| {
            format!(
                "{:.2} {:?} {} [{}] {:?}",
                s.weight,
                s.kind,
                s.label,
                s.span.as_ref().map_or("", |sp| sp.text.as_str()),
                s.schemes
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------- slang

#[test]
fn obfuscated_slang_maps_back_to_the_original_spelling() {
    for (text, canonical, quoted) in [
        ("我想找人做征 信修复，多少钱", "征信修复", "征 信修复"),
        ("找ＺＸ修复的老师", "征信修复", "ＺＸ修复"),
        ("听说可以停💰息挂账", "停息挂账", "停💰息挂账"),
        ("征.信.修.复靠谱吗", "征信修复", "征.信.修.复"),
        ("反‍催‍收联盟拉我进群", "反催收联盟", "反‍催‍收联盟"),
    ] {
        let signals = complaint(text);
        assert_spans_valid(text, &signals);
        let s = signals
            .iter()
            .find(|s| s.kind == SignalKind::Slang && s.label.contains(canonical))
            .unwrap_or_else(|| panic!("{text}:\n{}", show(&signals)));
        assert_eq!(s.span.as_ref().unwrap().text, quoted, "{text}");
        assert!(!s.schemes.is_empty());
    }
}

#[test]
fn plain_zx_is_neutral_vocabulary_and_latin_needs_word_boundaries() {
    let signals = complaint("我的ＺＸ花了，还能贷款吗");
    let zx = signals
        .iter()
        .find(|s| s.kind == SignalKind::Slang)
        .unwrap();
    assert_eq!(zx.span.as_ref().unwrap().text, "ＺＸ");
    assert!(zx.schemes.is_empty() && zx.weight < 0.1, "{zx:?}");
    // "zx" inside a Latin word, "714" inside a phone number: no slang.
    let signals = complaint("邮箱是zxyabc，手机17140001234");
    assert!(
        !signals.iter().any(|s| s.kind == SignalKind::Slang),
        "{}",
        show(&signals)
    );
}

#[test]
fn traditional_characters_are_read_as_simplified() {
    let text =
        "我已經委託了專業團隊處理，以後請勿直接聯繫本人，否則將向銀保監投訴。另外幫我做徵信修復。";
    let signals = complaint(text);
    assert_spans_valid(text, &signals);
    assert!(
        has(&signals, SignalKind::ThirdPartyAgent, 0.65, IPD)
            || has(&signals, SignalKind::ThirdPartyAgent, 0.65, CRS),
        "{}",
        show(&signals)
    );
    let agent = signals
        .iter()
        .find(|s| s.label == "要求机构不得联系本人")
        .unwrap_or_else(|| panic!("{}", show(&signals)));
    assert_eq!(agent.span.as_ref().unwrap().text, "勿直接聯繫本人");
    let slang = signals
        .iter()
        .find(|s| s.label.contains("征信修复"))
        .unwrap();
    assert_eq!(slang.span.as_ref().unwrap().text, "徵信修復");
    assert!(
        signals
            .iter()
            .any(|s| s.kind == SignalKind::RegulatorThreat)
    );
}

// ------------------------------------------------------------ text cues

#[test]
fn each_fraud_cue_fires_on_a_realistic_snippet() {
    use SignalKind as K;
    let cases: &[(&str, SignalKind, f32, &str)] = &[
        (
            "本人郑重声明：如贵行不予处理，由此产生的一切后果由贵行承担。",
            K::Template,
            0.6,
            IPD,
        ),
        (
            "信用卡的事不给我办停息挂账，我就天天打12378投诉你们。",
            K::RegulatorThreat,
            0.5,
            IPD,
        ),
        (
            "这笔分期如果不处理，我就找媒体曝光你们。",
            K::MediaThreat,
            0.4,
            IPD,
        ),
        (
            "我的欠款已委托某法务公司全权处理，请勿直接联系本人。",
            K::ThirdPartyAgent,
            0.7,
            IPD,
        ),
        (
            "群里的老师说办成了要收减免部分的15%做服务费。",
            K::FeeDemand,
            0.8,
            IPD,
        ),
        (
            "减免申请附的贫困证明是群里发的模板，改个名字就能用。",
            K::HardshipProof,
            0.8,
            IPD,
        ),
        (
            "中介说可以帮我做流水、包装收入，保证贷款能批。",
            K::ForgedDocument,
            0.7,
            PDB,
        ),
        (
            "我们有内部渠道，15个工作日删除逾期记录，不成功不收费。",
            K::CreditRepairPromise,
            0.7,
            CRS,
        ),
        (
            "维权群里的人说我的保单可以全额退保，退出来转投理财更划算。",
            K::SurrenderCoaching,
            0.65,
            PIS,
        ),
        (
            "视频里的“老板”只说了几句话就称信号不好挂断，要求财务立即转账50万。",
            K::SyntheticMedia,
            0.55,
            DFI,
        ),
        (
            "借款人自称失业半年，但社保仍由原单位正常缴纳。",
            K::CrossCheck,
            0.75,
            IPD,
        ),
        (
            "客户所附的收入证明经致电单位核实，查无此人。",
            K::ForgedDocument,
            0.75,
            IPD,
        ),
        (
            "本周收到的减免投诉中，另外12份与本件措辞完全一致。",
            K::Template,
            0.8,
            IPD,
        ),
    ];
    for (text, kind, min, scheme) in cases {
        let signals = complaint(text);
        assert_spans_valid(text, &signals);
        assert!(
            has(&signals, *kind, *min, scheme),
            "{text}: expected {kind:?} ≥ {min} → {scheme}\n{}",
            show(&signals)
        );
    }
}

#[test]
fn combination_of_stop_interest_total_waiver_and_threat_is_stronger_than_its_parts() {
    let full = complaint("本人申请停息挂账，免除全部利息和违约金，本金分60期，否则将向12378投诉。");
    let parts = complaint("我想问问能不能停息挂账，少收点利息。");
    let combo = |s: &[Signal]| {
        s.iter()
            .filter(|x| x.kind == SignalKind::Template && x.label.contains("停息"))
            .map(|x| x.weight)
            .fold(0.0, f32::max)
    };
    assert!(combo(&full) >= 0.7, "{}", show(&full));
    assert!(combo(&parts) < 0.3, "{}", show(&parts));
    assert!(max_fraud(&parts) < 0.5, "{}", show(&parts));
}

#[test]
fn stacked_insurance_stock_phrases_point_to_proxy_surrender() {
    let text = "业务员存在销售误导、夸大收益、未告知犹豫期、代签名等行为，要求全额退还保费。";
    let signals = complaint(text);
    let s = strongest(&signals, SignalKind::SurrenderCoaching).unwrap();
    assert!(s.weight >= 0.6 && s.schemes == [PIS], "{}", show(&signals));
    // One specific objection is a genuine complaint.
    let one = complaint("我母亲不识字，被当作存款推销了这份保险，请核查销售过程。");
    assert!(max_fraud(&one) < 0.5, "{}", show(&one));
}

#[test]
fn several_legal_citations_weigh_more_than_one() {
    let many = complaint(
        "根据《商业银行信用卡业务监督管理办法》第七十条、《民法典》及《消费者权益保护法》，贵行应当停息挂账。",
    );
    let one = complaint("根据信用卡管理办法，持卡人确有困难可以和银行协商分期。");
    let cite = |s: &[Signal]| {
        s.iter()
            .filter(|x| x.label.contains("法规"))
            .map(|x| x.weight)
            .fold(0.0, f32::max)
    };
    assert!(cite(&many) >= 0.55, "{}", show(&many));
    assert_eq!(cite(&one), 0.0, "{}", show(&one));
}

#[test]
fn a_transcript_speaker_and_a_refusal_are_not_agency_evidence() {
    // "代理人：" is the insurer's own agent speaking in a transcript.
    let call = complaint(
        "客户：我想退保。\n代理人：退了只能拿现金价值，您再考虑考虑？\n客户：我自己决定的。",
    );
    assert!(
        !call.iter().any(|s| s.label == "提到代理人"),
        "{}",
        show(&call)
    );
    // "声音跟我一模一样": the cloned-voice cue allows a few words between.
    let cloned = complaint("我妈接到电话，声音跟我一模一样，让她马上转5万。");
    assert!(
        cloned.iter().any(|s| s.label == "声音相似或本人不在场"),
        "{}",
        show(&cloned)
    );
    // Turning an agency down is evidence for a genuine customer.
    let refused = complaint("对方说能全额退保，要签代理协议。我说不需要，别再联系我，我没签协议。");
    assert!(
        refused.iter().any(|s| s.label == "本人拒绝了中介"),
        "{}",
        show(&refused)
    );
}

#[test]
fn reported_promises_are_halved_when_the_writer_distrusts_them() {
    let text = "我收到短信说能删除逾期记录，花钱就能删，这是真的吗？我怕被骗。";
    let signals = complaint(text);
    assert!(max_fraud(&signals) < 0.5, "{}", show(&signals));
    assert!(signals.iter().any(|s| s.label == "本人警惕中介"));
    // "说被骗了" coached by an agent does not count as distrust.
    let coached = complaint("他让我先打你们投诉电话说被骗了，说能帮我多退点保费。");
    assert!(!coached.iter().any(|s| s.kind == SignalKind::Legitimate));
    assert!(max_fraud(&coached) >= 0.65, "{}", show(&coached));
    // A victim's own report is no evidence for `none` (design §2: the
    // scheme is what the case involves).
    let victim = complaint("交了3000服务费说能停催，现在人联系不上，我被骗了，已经报警。");
    assert!(
        !victim.iter().any(|s| s.kind == SignalKind::Legitimate),
        "{}",
        show(&victim)
    );
}

#[test]
fn negated_mentions_of_intermediaries_are_not_agent_cues() {
    let signals = complaint("网上很多人说找代理，我不想找中介，就想直接跟你们商量分期。");
    assert!(
        !signals
            .iter()
            .any(|s| s.kind == SignalKind::ThirdPartyAgent),
        "{}",
        show(&signals)
    );
    // The bank's own collection agency is not a third-party agent.
    let signals = complaint("你们委托的催收公司天天打我电话，还自称受银行委托的法务。");
    assert!(
        !signals
            .iter()
            .any(|s| s.kind == SignalKind::ThirdPartyAgent && s.weight >= 0.5),
        "{}",
        show(&signals)
    );
}

#[test]
fn fresh_phrasings_of_each_scheme_are_caught() {
    use SignalKind as K;
    let cases: &[(&str, SignalKind, &str)] = &[
        (
            "我是他的债务规划师，他委托我们团队跟贵行协商，以后请直接跟我们对接。",
            K::ThirdPartyAgent,
            IPD,
        ),
        (
            "专业处理网贷逾期，先协商后收费，收取减免金额的20%。",
            K::FeeDemand,
            IPD,
        ),
        (
            "我在群里交了2000块押金，老师说帮我写投诉信。",
            K::FeeDemand,
            IPD,
        ),
        (
            "有个公司说只要交5000块，十个工作日就能把我的逾期全部删掉。",
            K::CreditRepairPromise,
            CRS,
        ),
        (
            "维权中心的人说可以帮我全额退保，退下来的钱给他们三成。",
            K::FeeDemand,
            PIS,
        ),
        (
            "申请人月收入填5万，但银行流水每月只有4000元左右。",
            K::CrossCheck,
            PDB,
        ),
        (
            "面签时陪同的人一直在旁边小声提示。",
            K::ThirdPartyAgent,
            PDB,
        ),
    ];
    for (text, kind, scheme) in cases {
        let channel = if *scheme == PDB {
            Channel::Application
        } else {
            Channel::Complaint
        };
        let signals = detector().detect(channel, text, None);
        assert!(
            has(&signals, *kind, 0.6, scheme),
            "{text}\n{}",
            show(&signals)
        );
    }
}

// -------------------------------------------------------- hard negatives

#[test]
fn hard_negatives_have_no_strong_fraud_cue_and_a_legitimate_one() {
    let cases = [
        // hardship, straight to the bank
        "您好，我是你们的信用卡用户，今年三月被公司裁员，目前还在找工作。卡上还欠2万3，我不想影响征信，想申请个性化分期，每月还800左右可以吗？我可以提供离职证明。",
        "我听说可以停息挂账，我老婆住院了家里确实困难，想跟你们银行直接商量，能不能少收点利息分期还，我是真心想还的。",
        // cooling-off surrender
        "我昨天在你们网点买了一份分红型保险，回家和家人商量后觉得不合适，现在还在犹豫期内，想申请退保，请问要带哪些材料？",
        // official credit objection
        "征信报告显示我2023年5月有一笔信用卡逾期，但那笔钱我已经按时还清了，有还款记录截图。我已经在征信中心提交了异议，受理编号在附件里，请你们核实报送数据。",
        // collector misconduct, first hand
        "你们的催收员昨天晚上十点多打电话给我妈，说我再不还钱就去我单位闹，还骂了很难听的话。我承认逾期了一个月，已经跟客服约好了20号还款，我有通话录音。",
        // a real customer naming the hotline after a delay
        "上个月投诉的年费问题一直没人回复，如果这周还没有处理结果，我会按规定向12378反映。",
        // (A victim of a deepfake call is no longer a hard negative: under
        // the labelling policy the case involves the scheme, role victim —
        // pinned end to end in tests/assess_regressions.rs.)
    ];
    for text in cases {
        let signals = complaint(text);
        assert_spans_valid(text, &signals);
        assert!(
            max_fraud(&signals) < 0.5,
            "false positive on a genuine customer:\n{text}\n{}",
            show(&signals)
        );
        assert!(
            signals
                .iter()
                .any(|s| s.kind == SignalKind::Legitimate && s.schemes == [NONE]),
            "no legitimate cue:\n{text}\n{}",
            show(&signals)
        );
    }
}

// ----------------------------------------------------------- cross-checks

fn application(a: &Applicant) -> Vec<Signal> {
    detector().detect(Channel::Application, "申请个人贷款。", Some(a))
}

fn fired(signals: &[Signal], label: &str) -> Option<Signal> {
    signals.iter().find(|s| s.label == label).cloned()
}

#[test]
fn every_cross_check_fires_above_its_threshold_and_not_below() {
    // (applicant that fires, applicant just across the threshold, label)
    let base = Applicant::default;
    let cases: Vec<(Applicant, Applicant, &str)> = vec![
        (
            Applicant {
                employment_status: Some("unemployed".into()),
                social_insurance_active: Some(true),
                ..base()
            },
            Applicant {
                employment_status: Some("unemployed".into()),
                social_insurance_active: Some(false),
                ..base()
            },
            "自称无业但社保公积金在缴",
        ),
        (
            Applicant {
                claimed_monthly_income: Some(30_001.0),
                bank_flow_monthly_avg: Some(10_000.0),
                ..base()
            },
            Applicant {
                claimed_monthly_income: Some(30_000.0),
                bank_flow_monthly_avg: Some(10_000.0),
                ..base()
            },
            "自报收入远高于银行流水",
        ),
        (
            Applicant {
                property_price: Some(1_310_000.0),
                property_appraisal: Some(1_000_000.0),
                ..base()
            },
            Applicant {
                property_price: Some(1_300_000.0),
                property_appraisal: Some(1_000_000.0),
                ..base()
            },
            "成交价远高于评估价",
        ),
        (
            Applicant {
                credit_history_months: Some(5),
                loan_amount: Some(300_000.0),
                ..base()
            },
            Applicant {
                credit_history_months: Some(6),
                loan_amount: Some(300_000.0),
                ..base()
            },
            "白户申请大额贷款",
        ),
        (
            Applicant {
                credit_accounts: Some(0),
                loan_amount: Some(300_000.0),
                ..base()
            },
            Applicant {
                credit_accounts: Some(0),
                loan_amount: Some(299_999.0),
                ..base()
            },
            "白户申请大额贷款",
        ),
        (
            Applicant {
                down_payment_ratio: Some(0.05),
                ..base()
            },
            Applicant {
                down_payment_ratio: Some(0.06),
                ..base()
            },
            "零首付或首付极低",
        ),
        (
            Applicant {
                resale_within_months: Some(6),
                ..base()
            },
            Applicant {
                resale_within_months: Some(7),
                ..base()
            },
            "抵押物短期内转手",
        ),
        (
            Applicant {
                remote_collateral: Some(true),
                ..base()
            },
            Applicant {
                remote_collateral: Some(false),
                ..base()
            },
            "抵押物在外地",
        ),
        (
            Applicant {
                employment_status: Some("employed".into()),
                claimed_monthly_income: Some(20_000.0),
                social_insurance_active: Some(false),
                provident_fund_active: Some(false),
                ..base()
            },
            Applicant {
                employment_status: Some("employed".into()),
                claimed_monthly_income: Some(19_999.0),
                social_insurance_active: Some(false),
                provident_fund_active: Some(false),
                ..base()
            },
            "高收入受雇者无社保公积金",
        ),
        (
            Applicant {
                phone: Some("与同批其他4笔申请相同".into()),
                ..base()
            },
            Applicant {
                phone: Some("138****0000".into()),
                ..base()
            },
            "与其他申请共用信息",
        ),
        (
            Applicant {
                employer: Some("某贸易有限公司（成立4个月）".into()),
                ..base()
            },
            Applicant {
                employer: Some("某贸易有限公司".into()),
                ..base()
            },
            "任职单位新设立",
        ),
    ];
    for (yes, no, label) in cases {
        let s = fired(&application(&yes), label)
            .unwrap_or_else(|| panic!("{label} did not fire for {yes:?}"));
        assert_eq!(s.kind, SignalKind::CrossCheck);
        assert!(s.span.is_none() && s.field.is_some(), "{s:?}");
        assert!(s.schemes.iter().any(|x| x == PDB), "{s:?}");
        assert!(
            s.explanation.chars().any(|c| c.is_ascii_digit())
                || label.contains("外地")
                || label.contains("无业"),
            "{s:?}"
        );
        assert!(
            fired(&application(&no), label).is_none(),
            "{label} fired for {no:?}"
        );
    }
}

#[test]
fn cross_check_explanations_carry_the_numbers() {
    let a = Applicant {
        claimed_monthly_income: Some(25_000.0),
        bank_flow_monthly_avg: Some(3_100.0),
        ..Default::default()
    };
    let s = fired(&application(&a), "自报收入远高于银行流水").unwrap();
    assert!(
        s.explanation.contains("25000")
            && s.explanation.contains("3100")
            && s.explanation.contains("8.1倍"),
        "{}",
        s.explanation
    );
    assert_eq!(
        s.field.as_deref(),
        Some("claimed_monthly_income,bank_flow_monthly_avg")
    );
}

#[test]
fn consistent_applications_get_legitimate_cross_checks_and_no_fraud_cue() {
    // A fresh graduate: thin file, small card — normal.
    let graduate = Applicant {
        employment_status: Some("employed".into()),
        claimed_monthly_income: Some(12_000.0),
        bank_flow_monthly_avg: Some(11_800.0),
        social_insurance_active: Some(true),
        provident_fund_active: Some(true),
        credit_history_months: Some(0),
        credit_accounts: Some(0),
        loan_amount: Some(20_000.0),
        ..Default::default()
    };
    let signals = detector().detect(
        Channel::Application,
        "应届毕业生首次申请信用卡，社保公积金正常缴纳。",
        Some(&graduate),
    );
    assert_eq!(max_fraud(&signals), 0.0, "{}", show(&signals));
    assert!(
        fired(&signals, "收入与流水、社保公积金相互印证")
            .is_some_and(|s| s.kind == SignalKind::Legitimate)
    );
    let home = Applicant {
        property_price: Some(2_600_000.0),
        property_appraisal: Some(2_580_000.0),
        down_payment_ratio: Some(0.3),
        ..Default::default()
    };
    assert!(fired(&application(&home), "成交价与评估价相符").is_some());
}

// ------------------------------------------------------- general shape

#[test]
fn output_is_sorted_deduplicated_and_deterministic() {
    let text = "老师说了，老师说的一定对，你们不给办停息挂账就去打12378，停息挂账是法定权利。";
    let a = Applicant {
        remote_collateral: Some(true),
        down_payment_ratio: Some(0.0),
        ..Default::default()
    };
    let first = detector().detect(Channel::Complaint, text, Some(&a));
    for _ in 0..3 {
        assert_eq!(first, detector().detect(Channel::Complaint, text, Some(&a)));
    }
    let starts: Vec<usize> = first
        .iter()
        .filter_map(|s| s.span.as_ref().map(|sp| sp.start))
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    let first_cross = first.iter().position(|s| s.span.is_none()).unwrap();
    assert!(
        first[first_cross..].iter().all(|s| s.span.is_none()),
        "cross-checks last"
    );
    // one signal per label and no overlapping spans of one kind
    let mut labels: Vec<(SignalKind, &str)> =
        first.iter().map(|s| (s.kind, s.label.as_str())).collect();
    let n = labels.len();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), n, "{}", show(&first));
    for (i, a) in first.iter().enumerate() {
        for b in &first[i + 1..] {
            if let (Some(x), Some(y)) = (&a.span, &b.span) {
                assert!(a.kind != b.kind || !overlaps(x, y), "{a:?}\n{b:?}");
            }
        }
    }
}

#[test]
fn empty_and_odd_inputs_do_not_panic() {
    for text in [
        "",
        " ",
        "。。。",
        "😀😀",
        "\u{200B}",
        "a",
        "１２３７８",
        "《》《",
        "第条",
    ] {
        let s = complaint(text);
        assert_spans_valid(text, &s);
    }
    let nan = Applicant {
        claimed_monthly_income: Some(f64::NAN),
        bank_flow_monthly_avg: Some(0.0),
        property_appraisal: Some(0.0),
        property_price: Some(1.0),
        ..Default::default()
    };
    let _ = application(&nan);
}

#[test]
fn serde_names_are_snake_case() {
    assert_eq!(
        serde_json::to_string(&SignalKind::RegulatorThreat).unwrap(),
        "\"regulator_threat\""
    );
    assert_eq!(
        serde_json::to_string(&Channel::Application).unwrap(),
        "\"application\""
    );
    let c: Channel = serde_json::from_str("\"complaint\"").unwrap();
    assert_eq!(c, Channel::Complaint);
}

// -------------------------------------------------- the labelled examples

#[test]
fn labelled_examples_rank_none_below_every_fraud_scheme() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    // scheme → (summed fraud weight per example, legitimate weight per example)
    let mut per: BTreeMap<String, Vec<(f32, f32)>> = BTreeMap::new();
    let mut hard_negative_max = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let channel = if v["channel"] == "application" {
                Channel::Application
            } else {
                Channel::Complaint
            };
            let applicant: Option<Applicant> = v
                .get("applicant")
                .map(|a| serde_json::from_value(a.clone()).unwrap());
            let text = v["text"].as_str().unwrap();
            let signals = detector().detect(channel, text, applicant.as_ref());
            assert_spans_valid(text, &signals);
            let legit: f32 = signals
                .iter()
                .filter(|s| s.kind == SignalKind::Legitimate)
                .map(|s| s.weight)
                .sum::<f32>()
                + 0.0;
            for scheme in v["schemes"].as_array().unwrap() {
                per.entry(scheme.as_str().unwrap().to_string())
                    .or_default()
                    .push((fraud_sum(&signals), legit));
            }
            if v["hard_negative"] == true {
                hard_negative_max
                    .push((v["id"].as_str().unwrap().to_string(), max_fraud(&signals)));
            }
        }
    }
    let mean = |xs: &[(f32, f32)], f: fn(&(f32, f32)) -> f32| {
        xs.iter().map(f).sum::<f32>() / xs.len() as f32
    };
    println!(
        "{:<30} {:>3} {:>12} {:>12}",
        "scheme", "n", "fraud(mean)", "legit(mean)"
    );
    for (scheme, xs) in &per {
        println!(
            "{scheme:<30} {:>3} {:>12.2} {:>12.2}",
            xs.len(),
            mean(xs, |x| x.0),
            mean(xs, |x| x.1)
        );
    }
    let worst = hard_negative_max
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    println!(
        "hard negatives: {}, strongest fraud cue {:.2} ({})",
        hard_negative_max.len(),
        worst.1,
        worst.0
    );

    let none = mean(&per["none"], |x| x.0);
    for (scheme, xs) in &per {
        if scheme != "none" {
            assert!(
                none < mean(xs, |x| x.0),
                "none ({none:.2}) is not below {scheme}"
            );
        }
    }
}
