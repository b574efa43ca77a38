"""The default themes in French, German and Spanish: the same themes as the English lexicon, in other words.

Each lexicon names the themes of :data:`npsdiag.text.DEFAULT_THEMES` (so that
a French and an English comment about prices count in one theme, "price &
value") with keywords of its language. A keyword is matched on Snowball
stems in its language (``"cher"`` matches "chère", "chers"; ``"livraison"``
matches "livraisons"), a trailing ``*`` on a word matches any ending
(``"liefer*"``: Lieferung, Lieferzeit, geliefert is listed apart), and
phrases of up to three words match adjacent words of one sentence
(``"trop cher"``, ``"rapport qualité prix"``). Apostrophes and hyphens split
words (``"l'accueil"`` is "l accueil").

The lexicons were written for customer comments of retail, telecom,
software and service businesses; ``settings.themes`` adds a client's own
keywords to every language (:func:`npsdiag.text.merge_lexicons`).
"""

from __future__ import annotations

__all__ = ["FRENCH_THEMES", "GERMAN_THEMES", "SPANISH_THEMES"]

FRENCH_THEMES: dict[str, list[str]] = {
    "support & service": [
        "service client", "service clientèle", "relation client", "sav", "après vente", "assistance", "support",
        "hotline", "conseiller", "conseillère", "conseil", "vendeur", "vendeuse", "personnel", "équipe", "accueil",
        "aimable", "sympathique", "sympa", "souriant", "serviable", "poli", "impoli", "désagréable", "compétent",
        "incompétent", "à l écoute", "réclamation", "plainte", "ticket", "joindre", "injoignable", "au téléphone",
    ],
    "price & value": [
        "prix", "tarif*", "cher", "trop cher", "hors de prix", "coût", "coûte", "coûteux", "onéreux", "abordable",
        "rapport qualité prix", "qualité prix", "promotion", "promo", "promos", "réduction", "remise", "bon marché",
        "argent", "frais", "augmentation", "hausse",
    ],
    "billing & payments": [
        "facture", "facturation", "facturé", "paiement", "payer", "payé", "prélèvement", "prélevé", "remboursement",
        "rembourser", "remboursé", "été débité", "débité deux fois", "encaissé", "carte bancaire", "double paiement",
    ],
    "onboarding & setup": [
        "installation", "installer", "installé", "mise en service", "mise en place", "paramétrage", "configuration",
        "configurer", "activation", "activer", "formation", "prise en main", "démarrage", "migration", "raccordement",
        "ouverture",
    ],
    "product quality & bugs": [
        "bug", "bogue", "beugue", "plantage", "planté", "défaut", "défectueux", "qualité", "mauvaise qualité",
        "cassé", "abîmé", "fragile", "erreur", "ne fonctionne pas", "fonctionne pas", "ne marche pas",
        "marche pas",
    ],
    "reliability & outages": [
        "panne", "en panne", "coupure", "interruption", "instable", "fiable", "fiabilité", "déconnexion",
        "déconnecté", "connexion", "réseau", "signal", "hors service", "pas de réseau",
    ],
    "speed & performance": [
        "lent", "lenteur", "rapide", "rapidement", "rapidité", "vitesse", "haut débit", "débit internet",
        "performance", "performant", "réactif", "réactive", "réactivité", "chargement", "temps de réponse",
    ],
    "ease of use": [
        "facile", "facilement", "simple", "simplicité", "intuitif", "compliqué", "complexe", "difficile",
        "pratique", "ergonomie", "ergonomique", "fluide", "clair", "galère",
    ],
    "features & product fit": [
        "fonctionnalité", "fonctionnalités", "option", "intégration", "application", "appli", "logiciel",
        "tableau de bord", "il manque", "manque de", "choix", "gamme", "sélection", "rupture", "en stock",
        "disponible", "indisponible", "disponibilité", "personnalisation",
    ],
    "account management": [
        "commercial", "commerciale", "commerciaux", "chargé de compte", "chargée de compte", "interlocuteur",
        "contrat", "renouvellement", "abonnement", "engagement", "résiliation", "résilier", "fidélité", "suivi",
    ],
    "communication": [
        "communication", "communiquer", "information", "informé", "informer", "prévenu", "prévenus", "prévenir",
        "mail", "e mail", "courriel", "sms", "message", "notification", "explication", "expliqué", "promis",
        "promise", "promesse", "relance", "aucune réponse", "pas de réponse", "sans réponse", "personne ne",
    ],
    "delivery & engineers": [
        "livraison", "livrer", "livré", "livreur", "expédition", "expédié", "colis", "transporteur", "retard",
        "en retard", "délai", "délais", "attente", "attendre", "technicien", "intervention", "rendez vous", "rdv",
        "jamais venu", "pas venu", "routeur", "modem", "box", "décodeur", "matériel",
    ],
}

GERMAN_THEMES: dict[str, list[str]] = {
    "support & service": [
        "kundenservice*", "kundendienst*", "service", "hotline*", "support", "berater*", "beratung*", "mitarbeiter*",
        "personal", "freundlich*", "unfreundlich*", "hilfsbereit*", "kompetent*", "inkompetent*", "höflich*",
        "unhöflich*", "beschwerde*", "reklamation*", "ansprechpartner*", "erreichbar*", "warteschleife*",
    ],
    "price & value": [
        "preis*", "teuer", "teurer", "teuerste", "zu teuer", "überteuert", "kosten*", "kostet", "günstig*", "billig*",
        "preiswert*", "rabatt*", "angebot*", "gebühr*", "geld", "tarif*", "preis leistung",
    ],
    "billing & payments": [
        "rechnung*", "abrechnung*", "zahlung*", "bezahl*", "abbuchung*", "abgebucht", "lastschrift*", "erstattung*",
        "rückerstattung*", "gutschrift*", "mahnung*", "berechnet", "doppelt berechnet",
    ],
    "onboarding & setup": [
        "installation*", "installier*", "einrichtung*", "eingerichtet", "einrichten", "inbetriebnahme",
        "aktivierung*", "aktiviert", "anmeldung*", "registrierung*", "schulung*", "einarbeitung*", "umstellung*",
        "freischaltung*", "freigeschaltet", "konfiguration*",
    ],
    "product quality & bugs": [
        "fehler*", "bug", "bugs", "absturz*", "abgestürzt", "stürzt", "defekt*", "kaputt*", "mangelhaft*",
        "qualität*", "beschädigt*", "funktioniert nicht", "geht nicht",
    ],
    "reliability & outages": [
        "störung*", "ausfall", "ausfälle", "ausgefallen", "unterbrechung*", "abbruch*", "instabil*", "zuverlässig*",
        "unzuverlässig*", "verbindung*", "netz", "empfang", "signal", "kein internet", "kein netz", "offline",
    ],
    "speed & performance": [
        "langsam*", "schnell*", "geschwindigkeit*", "tempo", "leistung", "performance", "ladezeit*", "bandbreite",
    ],
    "ease of use": [
        "einfach*", "leicht", "simpel", "intuitiv*", "kompliziert*", "umständlich*", "schwierig*",
        "übersichtlich*", "unübersichtlich*", "benutzerfreundlich*", "bedienung*", "handhabung", "unkompliziert*",
    ],
    "features & product fit": [
        "funktionen", "funktionalität*", "funktionsumfang", "feature*", "option*", "integration*", "schnittstelle*",
        "app", "apps", "software", "auswahl", "sortiment*", "vorrätig", "nicht verfügbar", "fehlt", "vermisse*",
    ],
    "account management": [
        "vertrieb*", "verkäufer*", "kundenbetreuer*", "betreuung*", "vertrag*", "verlängerung*", "kündigung*",
        "gekündigt", "laufzeit*", "außendienst*",
    ],
    "communication": [
        "kommunikation*", "information*", "informiert*", "benachrichtig*", "mitteilung*", "mail", "email*",
        "e mail", "brief*", "sms", "rückmeldung*", "rückruf*", "zurückgerufen", "keine antwort", "erklärung*",
        "erklärt", "versprochen*", "versprechen",
    ],
    "delivery & engineers": [
        "liefer*", "geliefert", "versand*", "verschickt", "paket*", "zustellung*", "zusteller*", "spedition*",
        "verspätung*", "verspätet*", "verzögerung*", "wartezeit*", "warten", "gewartet", "techniker*", "monteur*",
        "termin*", "router", "hardware", "gerät*",
    ],
}

SPANISH_THEMES: dict[str, list[str]] = {
    "support & service": [
        "atención al cliente", "servicio al cliente", "atención", "servicio técnico", "soporte", "asesor",
        "asesora", "agente", "operador", "operadora", "personal", "empleado", "empleada", "amable", "simpático",
        "simpática", "atento", "grosero", "maleducado", "profesional", "reclamación", "reclamo", "queja",
        "incidencia", "ayuda",
    ],
    "price & value": [
        "precio", "caro", "cara", "demasiado caro", "coste", "costo", "cuesta", "barato", "económico", "tarifa",
        "oferta", "descuento", "promoción", "dinero", "calidad precio", "relación calidad precio", "comisión",
        "cuota",
    ],
    "billing & payments": [
        "factura", "facturación", "cobro", "cobrar", "cobraron", "cobrado", "pago", "pagar", "pagado", "reembolso",
        "devolución", "cargo", "domiciliación", "recibo", "tarjeta",
    ],
    "onboarding & setup": [
        "instalación", "instalar", "instalado", "dar de alta", "el alta", "configuración", "configurar",
        "activación", "activar", "formación", "puesta en marcha", "migración", "registro",
    ],
    "product quality & bugs": [
        "error", "errores", "fallo", "falla", "defecto", "defectuoso", "roto", "rota", "estropeado", "calidad",
        "mala calidad", "no funciona", "dejó de funcionar", "bug",
    ],
    "reliability & outages": [
        "caída", "se cae", "corte", "cortes", "sin servicio", "sin conexión", "sin internet", "conexión",
        "cobertura", "señal", "inestable", "fiable", "fiabilidad", "desconexión", "intermitente", "avería",
    ],
    "speed & performance": [
        "lento", "lenta", "lentitud", "rápido", "rápida", "rapidez", "velocidad", "rendimiento", "megas",
    ],
    "ease of use": [
        "fácil", "facilidad", "sencillo", "sencilla", "simple", "intuitivo", "intuitiva", "complicado",
        "complicada", "difícil", "cómodo", "cómoda", "práctico", "confuso", "usabilidad",
    ],
    "features & product fit": [
        "función", "funciones", "funcionalidad", "opción", "opciones", "integración", "aplicación", "app",
        "catálogo", "surtido", "variedad", "stock", "disponible", "agotado", "falta",
    ],
    "account management": [
        "comercial", "vendedor", "vendedora", "gestor", "gestora", "contrato", "renovación", "permanencia",
        "dar de baja", "cancelación", "seguimiento",
    ],
    "communication": [
        # "informar" alone would match "informe" (a report: one Snowball stem): information is named in phrases
        "comunicación", "comunicar", "falta de información", "sin información", "poca información",
        "me informaron", "nos informaron", "no informan", "mal informado", "aviso", "avisar", "avisaron",
        "notificación", "correo", "email", "mensaje", "sms", "llamada", "respuesta", "no contestan", "nadie",
        "explicación", "explicar", "prometieron", "promesa",
    ],
    "delivery & engineers": [
        "entrega", "entregar", "entregado", "envío", "paquete", "pedido", "mensajero", "transportista", "retraso",
        "retrasado", "llegó tarde", "tardaron", "tardó", "demora", "espera", "esperar", "técnico", "cita", "router",
    ],
}
