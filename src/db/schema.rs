//! Table definitions shared by both backends (the SQL differs only in `migrations/`).

diesel::table! {
    actors (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        actor_id -> Nullable<BigInt>,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Text,
        user_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
        before_private -> Nullable<Text>,
        before_salt -> Nullable<Text>,
        after_private -> Nullable<Text>,
        after_salt -> Nullable<Text>,
    }
}

diesel::table! {
    /// The sealed log of record format 1 (read only; see `db::audit::seal_v1`).
    audit_log_v1 (seq) {
        seq -> BigInt,
        at -> Text,
        user_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    /// The head of the format-1 log when it was sealed.
    audit_head_v1 (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    ecosystems (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        territory -> Text,
        mission -> Text,
        vision -> Text,
        horizon_start -> Integer,
        horizon_end -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        illustrative -> Bool,
        grace_days -> Integer,
    }
}

diesel::table! {
    perspectives (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        kind -> Text,
        name -> Text,
        position -> Integer,
    }
}

diesel::table! {
    ecosystem_members (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        actor_id -> BigInt,
        role_label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    themes (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    objectives (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        perspective_id -> BigInt,
        theme_id -> Nullable<BigInt>,
        code -> Text,
        name -> Text,
        description -> Text,
        weight -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    objective_responsibles (objective_id, actor_id) {
        objective_id -> BigInt,
        actor_id -> BigInt,
    }
}

diesel::table! {
    objective_links (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        cause_id -> BigInt,
        effect_id -> BigInt,
        description -> Text,
        created_at -> Timestamp,
        expected_sign -> Text,
    }
}

diesel::table! {
    indicators (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        objective_id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        unit -> Text,
        direction -> Text,
        range_lower -> Nullable<Double>,
        range_upper -> Nullable<Double>,
        periodicity -> Text,
        aggregation -> Text,
        green_threshold -> Double,
        amber_threshold -> Double,
        weight -> Double,
        source -> Text,
        shared_value_form -> Nullable<Text>,
        metric_category -> Nullable<Text>,
        baseline_period -> Nullable<Text>,
        baseline_value -> Nullable<Double>,
        baseline_note -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        formula -> Nullable<Text>,
        actor_rule -> Text,
        valid_min -> Nullable<Double>,
        valid_max -> Nullable<Double>,
    }
}

diesel::table! {
    indicator_responsibles (indicator_id, actor_id) {
        indicator_id -> BigInt,
        actor_id -> BigInt,
    }
}

diesel::table! {
    targets (id) {
        id -> BigInt,
        indicator_id -> BigInt,
        period -> Text,
        period_end -> Text,
        value -> Double,
        horizon -> Text,
    }
}

diesel::table! {
    measurements (id) {
        id -> BigInt,
        indicator_id -> Nullable<BigInt>,
        period -> Text,
        period_start -> Text,
        period_end -> Text,
        territory -> Text,
        disaggregation -> Text,
        revision -> Integer,
        value -> Double,
        evidence_url -> Nullable<Text>,
        evidence_text -> Nullable<Text>,
        comment -> Text,
        actor_id -> BigInt,
        submitted_by -> Nullable<BigInt>,
        submitted_at -> Timestamp,
        status -> Text,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        reject_reason -> Nullable<Text>,
        counted -> Bool,
        variable_id -> Nullable<BigInt>,
        import_id -> Nullable<BigInt>,
        vec_id -> Nullable<BigInt>,
        development_id -> Nullable<BigInt>,
        basis -> Nullable<Text>,
        evidence_file -> Nullable<Text>,
    }
}

diesel::table! {
    indicator_beneficiaries (id) {
        id -> BigInt,
        indicator_id -> BigInt,
        actor_kind -> Nullable<Text>,
        actor_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    hybrid_metrics (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        company_actor_id -> BigInt,
        social_indicator_id -> BigInt,
        financial_indicator_id -> BigInt,
        relation -> Text,
        unit -> Text,
        status -> Text,
        adopted_by -> Nullable<BigInt>,
        adopted_at -> Nullable<Timestamp>,
        adoption_verdict -> Nullable<Text>,
        adoption_justification -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expected_sign -> Text,
    }
}

diesel::table! {
    vecs (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        kind -> Text,
        unit -> Text,
        baseline_period -> Text,
        baseline_value -> Double,
        direction -> Text,
        threshold_value -> Double,
        threshold_limit -> Text,
        boundary -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    developments (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        name -> Text,
        description -> Text,
        sector -> Text,
        actor_id -> BigInt,
        status -> Text,
        territory -> Text,
        start_period -> Text,
        end_period -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    variables (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        unit -> Text,
        source -> Text,
        source_detail -> Text,
        source_reference -> Text,
        periodicity -> Text,
        level -> Text,
        themes -> Text,
        availability -> Text,
        availability_note -> Text,
        responsible_actor_id -> Nullable<BigInt>,
        rollup -> Text,
        weight_variable_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        actor_rule -> Text,
        valid_min -> Nullable<Double>,
        valid_max -> Nullable<Double>,
    }
}

diesel::table! {
    ecosystem_variables (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        variable_id -> BigInt,
    }
}

diesel::table! {
    imports (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        actor_id -> BigInt,
        file_name -> Text,
        file_sha256 -> Text,
        rows_read -> BigInt,
        rows_created -> BigInt,
        rows_unchanged -> BigInt,
        rows_digest -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    indicator_inputs (indicator_id, variable_id) {
        indicator_id -> BigInt,
        variable_id -> BigInt,
    }
}

diesel::table! {
    challenges (id) {
        id -> BigInt,
        measurement_id -> BigInt,
        opened_by -> BigInt,
        reason -> Text,
        status -> Text,
        answer -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        opened_at -> Timestamp,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    period_locks (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        period -> Text,
        period_start -> Text,
        period_end -> Text,
        reason -> Text,
        locked_by -> Nullable<BigInt>,
        locked_at -> Timestamp,
        unlock_reason -> Nullable<Text>,
        unlocked_by -> Nullable<BigInt>,
        unlocked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> actors (actor_id));
diesel::joinable!(period_locks -> ecosystems (ecosystem_id));
diesel::joinable!(perspectives -> ecosystems (ecosystem_id));
diesel::joinable!(ecosystem_members -> ecosystems (ecosystem_id));
diesel::joinable!(ecosystem_members -> actors (actor_id));
diesel::joinable!(themes -> ecosystems (ecosystem_id));
diesel::joinable!(objectives -> perspectives (perspective_id));
diesel::joinable!(objectives -> themes (theme_id));
diesel::joinable!(objective_responsibles -> objectives (objective_id));
diesel::joinable!(objective_responsibles -> actors (actor_id));
diesel::joinable!(indicators -> objectives (objective_id));
diesel::joinable!(indicator_responsibles -> indicators (indicator_id));
diesel::joinable!(targets -> indicators (indicator_id));
diesel::table! {
    adjustments (id) {
        id -> BigInt,
        indicator_id -> Nullable<BigInt>,
        variable_id -> Nullable<BigInt>,
        period -> Text,
        territory -> Text,
        disaggregation -> Text,
        value -> Double,
        reason -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    temporary_passwords (user_id) {
        user_id -> BigInt,
        set_by -> Nullable<BigInt>,
        set_at -> Timestamp,
    }
}

diesel::table! {
    evidence_files (sha256) {
        sha256 -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        file_name -> Text,
        uploaded_by -> Nullable<BigInt>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        message_es -> Text,
        message_en -> Text,
        link -> Nullable<Text>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        emailed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(measurements -> indicators (indicator_id));
diesel::joinable!(challenges -> measurements (measurement_id));
diesel::joinable!(measurements -> variables (variable_id));
diesel::joinable!(measurements -> imports (import_id));
diesel::joinable!(ecosystem_variables -> variables (variable_id));
diesel::joinable!(ecosystem_variables -> ecosystems (ecosystem_id));
diesel::joinable!(indicator_inputs -> indicators (indicator_id));
diesel::joinable!(indicator_beneficiaries -> indicators (indicator_id));
diesel::joinable!(measurements -> vecs (vec_id));
diesel::joinable!(measurements -> developments (development_id));
diesel::table! {
    commitments (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        text_es -> Text,
        text_en -> Nullable<Text>,
        kind -> Text,
        source -> Text,
        source_reference -> Text,
        source_date -> Text,
        responsible_actor_id -> BigInt,
        deadline -> Nullable<Text>,
        status -> Text,
        evidence_url -> Nullable<Text>,
        evidence_text -> Nullable<Text>,
        status_note -> Nullable<Text>,
        status_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    commitment_objectives (commitment_id, objective_id) {
        commitment_id -> BigInt,
        objective_id -> BigInt,
    }
}

diesel::table! {
    commitment_investments (commitment_id, cui) {
        commitment_id -> BigInt,
        cui -> Text,
    }
}

diesel::table! {
    commitment_status_changes (id) {
        id -> BigInt,
        commitment_id -> BigInt,
        status -> Text,
        evidence_url -> Nullable<Text>,
        evidence_text -> Nullable<Text>,
        note -> Nullable<Text>,
        changed_by -> Nullable<BigInt>,
        changed_at -> Timestamp,
    }
}

diesel::joinable!(commitments -> actors (responsible_actor_id));
diesel::joinable!(commitment_objectives -> commitments (commitment_id));
diesel::joinable!(commitment_objectives -> objectives (objective_id));
diesel::joinable!(commitment_investments -> commitments (commitment_id));
diesel::joinable!(commitment_status_changes -> commitments (commitment_id));

diesel::table! {
    investments (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        cui -> Nullable<Text>,
        name -> Text,
        kind -> Text,
        level -> Text,
        function -> Text,
        programme -> Text,
        subprogramme -> Text,
        stage -> Text,
        modality -> Text,
        financing_source -> Text,
        participatory_budget -> Bool,
        prioritised -> Bool,
        ubigeo -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        beneficiaries -> Nullable<BigInt>,
        viable_amount -> Nullable<Double>,
        updated_cost -> Nullable<Double>,
        viability_date -> Nullable<Date>,
        start_date -> Nullable<Date>,
        planned_end_date -> Nullable<Date>,
        executing_actor_id -> Nullable<BigInt>,
        executing_unit -> Text,
        judged_scores -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    investment_links (id) {
        id -> BigInt,
        investment_id -> BigInt,
        objective_id -> Nullable<BigInt>,
        indicator_id -> Nullable<BigInt>,
        expected_change -> Text,
        position -> Integer,
    }
}

diesel::table! {
    investment_plans (id) {
        id -> BigInt,
        investment_id -> BigInt,
        year -> Integer,
        months -> Text,
    }
}

diesel::table! {
    investment_snapshots (id) {
        id -> BigInt,
        investment_id -> BigInt,
        as_of -> Date,
        year -> Integer,
        pia -> Double,
        pim -> Double,
        certified -> Double,
        committed -> Double,
        accrued -> Double,
        paid -> Double,
        accrued_before -> Double,
        physical_percent -> Nullable<Double>,
        physical_measured_on -> Nullable<Date>,
        physical_evidence -> Text,
        recorded_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    investment_settings (id) {
        id -> BigInt,
        ecosystem_id -> BigInt,
        stalled_months -> Integer,
        physical_lag_points -> Double,
        plan_gap_points -> Double,
        pace_gap_points -> Double,
        pim_change_percent -> Double,
        gap_weight -> Double,
        stage_weight -> Double,
        scale_weight -> Double,
        scale_basis -> Text,
        judged_criteria -> Text,
        envelopes -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(investments -> ecosystems (ecosystem_id));
diesel::joinable!(investment_links -> investments (investment_id));
diesel::joinable!(investment_plans -> investments (investment_id));
diesel::joinable!(investment_snapshots -> investments (investment_id));
diesel::joinable!(investment_settings -> ecosystems (ecosystem_id));

diesel::allow_tables_to_appear_in_same_query!(
    actors,
    users,
    settings,
    audit_head,
    audit_head_v1,
    audit_log,
    audit_log_v1,
    ecosystems,
    perspectives,
    ecosystem_members,
    themes,
    objectives,
    objective_responsibles,
    objective_links,
    indicators,
    indicator_responsibles,
    targets,
    measurements,
    challenges,
    variables,
    ecosystem_variables,
    imports,
    indicator_inputs,
    indicator_beneficiaries,
    hybrid_metrics,
    vecs,
    developments,
    adjustments,
    period_locks,
    web_sessions,
    temporary_passwords,
    evidence_files,
    notifications,
    commitments,
    commitment_objectives,
    commitment_investments,
    commitment_status_changes,
    investments,
    investment_links,
    investment_plans,
    investment_snapshots,
    investment_settings,
);
