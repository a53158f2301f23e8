//! The portal's words, Spanish first and English.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Es,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Es => "Español",
            Lang::En => "English",
        }
    }

    /// The word for `key`; the key itself when missing (a test checks every key has both).
    pub fn t(self, key: &str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, es, en)| match self {
                Lang::Es => *es,
                Lang::En => *en,
            })
            .unwrap_or("?")
    }
}

/// `(key, español, English)`.
pub const WORDS: &[(&str, &str, &str)] = &[
    ("portal", "Portal de transparencia", "Transparency portal"),
    (
        "tagline",
        "Avances de las estrategias territoriales compartidas, con la procedencia de cada cifra.",
        "Progress of the shared territorial strategies, with the provenance of every number.",
    ),
    ("ecosystems", "Ecosistemas", "Ecosystems"),
    ("sections", "Secciones", "Sections"),
    (
        "objective_commitments",
        "Compromisos del órgano coordinador para el objetivo de este indicador",
        "Commitments of the coordinating body for this indicator's objective",
    ),
    (
        "no_commitments",
        "Ningún compromiso registrado.",
        "No commitments recorded.",
    ),
    (
        "commitments",
        "Compromisos del órgano coordinador",
        "Commitments of the coordinating body",
    ),
    ("investments", "Inversiones", "Investments"),
    ("mission", "Misión", "Mission"),
    ("vision", "Visión", "Vision"),
    ("score", "Puntaje", "Score"),
    ("coverage", "Cobertura de datos", "Data coverage"),
    (
        "latest_value",
        "Último valor aprobado",
        "Latest approved value",
    ),
    ("none_yet", "aún ninguno", "none yet"),
    ("open", "Ver", "Open"),
    ("strategy_map", "Mapa estratégico", "Strategy map"),
    ("scorecard", "Tablero de control", "Scorecard"),
    ("figures_closed", "Cifras cerradas", "Figures closed"),
    (
        "figures_closed_since",
        "el ecosistema cerró las cifras de este periodo el",
        "the ecosystem closed this period's figures on",
    ),
    ("period", "Periodo", "Period"),
    ("theme", "Tema o clúster", "Theme or cluster"),
    ("actor", "Actor", "Actor"),
    ("all", "Todos", "All"),
    ("apply", "Aplicar", "Apply"),
    ("perspective", "Perspectiva", "Perspective"),
    ("objective", "Objetivo", "Objective"),
    ("indicator", "Indicador", "Indicator"),
    ("actual", "Valor", "Actual"),
    ("target", "Meta", "Target"),
    ("performance", "Desempeño vs. plan", "Performance vs plan"),
    ("progress", "Avance", "Progress"),
    ("ahead_of_plan", "supera lo planificado", "ahead of plan"),
    (
        "below_baseline",
        "retrocede respecto a la línea de base",
        "below its baseline",
    ),
    ("range_band", "Rango aceptable", "Acceptable range"),
    (
        "status_note",
        "El estado compara cada valor con lo planificado para el periodo (desempeño = avance logrado ÷ avance planificado desde la línea de base): quien va según lo planificado está en meta. El avance es la parte de la brecha hasta la meta ya cerrada.",
        "The status compares each value with what was planned for the period (performance = improvement achieved ÷ improvement planned since the baseline): on plan is on target. Progress is the share of the whole gap to the target already closed.",
    ),
    ("attainment", "Cumplimiento", "Attainment"),
    ("status", "Estado", "Status"),
    ("status_green", "En meta", "On target"),
    ("status_amber", "En riesgo", "At risk"),
    ("status_red", "Crítico", "Critical"),
    ("status_grey", "Sin datos", "No data"),
    ("download", "Descargar datos", "Download data"),
    ("map_alt", "El mapa como tabla", "The map as a table"),
    ("cause", "Causa", "Cause"),
    ("effect", "Efecto", "Effect"),
    (
        "evidence_check",
        "Verificación con datos",
        "Checked with data",
    ),
    ("definition", "Definición", "Definition"),
    ("unit", "Unidad", "Unit"),
    ("direction", "Dirección", "Direction"),
    ("dir_increase", "más es mejor", "more is better"),
    ("dir_decrease", "menos es mejor", "less is better"),
    ("dir_range", "dentro de un rango", "within a range"),
    ("formula", "Fórmula", "Formula"),
    ("variables", "Variables", "Variables"),
    ("source", "Fuente", "Source"),
    ("responsible", "Responsables", "Responsible"),
    ("baseline", "Línea de base", "Baseline"),
    ("targets", "Metas", "Targets"),
    ("trajectory", "Trayectoria", "Trajectory"),
    ("expected", "Planificado", "Planned"),
    (
        "by_territory",
        "Valores por territorio",
        "Values by territory",
    ),
    ("territory", "Territorio", "Territory"),
    ("value", "Valor", "Value"),
    (
        "provenance",
        "Procedencia de cada valor",
        "Provenance of each value",
    ),
    ("who", "Quién lo aportó", "Given by"),
    ("reason", "Motivo", "Reason"),
    (
        "actor_rule",
        "Valores de varios actores",
        "Values from several actors",
    ),
    (
        "adjustments",
        "Ajustes por doble conteo",
        "De-duplication adjustments",
    ),
    ("when", "Cuándo", "When"),
    ("evidence", "Evidencia", "Evidence"),
    ("evidence_file", "archivo de evidencia", "evidence file"),
    ("approved_by", "Aprobado por", "Approved by"),
    ("audit_seq", "Registro de auditoría", "Audit entry"),
    (
        "operator",
        "el operador (carga por línea de comandos)",
        "the operator (command-line load)",
    ),
    ("revision", "Revisión", "Revision"),
    ("challenges", "Cuestionamientos", "Challenges"),
    ("no_challenges", "Ningún cuestionamiento.", "No challenges."),
    ("challenge_it", "Cuestionar", "Challenge"),
    ("challenge_open", "abierto", "open"),
    (
        "challenge_upheld",
        "acogido: valor retirado",
        "upheld: value withdrawn",
    ),
    ("challenge_dismissed", "desestimado", "dismissed"),
    ("answer", "Respuesta", "Answer"),
    (
        "no_values",
        "Aún no hay valores aprobados.",
        "No approved values yet.",
    ),
    (
        "computed",
        "calculado con la fórmula",
        "computed by the formula",
    ),
    ("impacts", "Impactos acumulativos", "Cumulative impacts"),
    ("scenario", "Escenario", "Scenario"),
    ("sc_existing", "Solo existentes", "Existing only"),
    ("sc_with_planned", "Con planificados", "With planned"),
    ("sc_with_foreseeable", "Con previsibles", "With foreseeable"),
    ("vec", "Componente valorado (VEC)", "Valued component (VEC)"),
    ("state", "Estado actual", "State"),
    ("threshold", "Umbral", "Threshold"),
    ("headroom", "Margen", "Headroom"),
    ("used", "Margen usado", "Headroom used"),
    ("within", "Dentro del límite", "Within"),
    ("approaching", "Acercándose", "Approaching"),
    ("exceeded", "Excedido", "Exceeded"),
    ("hybrid", "Métricas híbridas", "Hybrid metrics"),
    ("company", "Empresa", "Company"),
    ("metric", "Métrica", "Metric"),
    ("verdict", "Verificación causal", "Causal check"),
    ("supported", "Respaldada", "Supported"),
    ("not_supported", "No respaldada", "Not supported"),
    (
        "insufficient_data",
        "Datos insuficientes",
        "Insufficient data",
    ),
    ("adopted", "Adoptada", "Adopted"),
    ("proposed", "Propuesta", "Proposed"),
    ("live", "Actualizado en vivo", "Updated live"),
    ("updated", "Actualizado", "Updated"),
    ("home", "Inicio", "Home"),
    ("back", "Volver al tablero", "Back to the scorecard"),
    ("skip", "Saltar al contenido", "Skip to content"),
    (
        "illustrative",
        "Datos de demostración: las cifras son ilustrativas.",
        "Demo data: the figures are illustrative.",
    ),
    ("values_of", "Valores de", "Values of"),
    ("chart_alt", "Los datos del gráfico", "The chart's data"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys: Vec<&str> = WORDS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        assert!(
            WORDS
                .iter()
                .all(|(_, es, en)| !es.is_empty() && !en.is_empty())
        );
        assert_eq!(Lang::En.t("scorecard"), "Scorecard");
        // Every word the pages ask for exists (a typo would print "?").
        let pages = include_str!("pages.rs");
        for part in pages.split("lang.t(\"").skip(1) {
            let key = &part[..part.find('"').unwrap()];
            assert!(keys.contains(&key), "missing word '{key}'");
        }
        assert_eq!(Lang::Es.t("scorecard"), "Tablero de control");
    }
}
